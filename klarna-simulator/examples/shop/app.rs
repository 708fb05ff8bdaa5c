//! The example shop's backend: one cart, Klarna's checkout, an order.
//!
//! - `GET /` opens a Klarna payment session for the cart and serves the checkout page
//!   (`checkout.html`, `checkout.js`) with the session's `client_token`; the page loads
//!   Klarna's JavaScript SDK, shows the widget and asks for the shopper's approval.
//!   `GET /?multistep=1` is the multi-step variant (`auto_finalize: false`, then
//!   `finalize`).
//! - `POST /checkout/{session_id}/order` receives the authorization token from the page
//!   and places the order.
//! - `POST /klarna/authorization` is Klarna's authorization callback
//!   (`merchant_urls.authorization`): Klarna posts the token there after the approval,
//!   so the order is placed even if the shopper closed the tab before the page could.
//! - `GET /confirmation/{session_id}` shows the order (`merchant_urls.confirmation`).
//!
//! Nothing here knows about the simulator: point the client and the SDK URL at Klarna
//! and the same code runs against Klarna.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use klarna_payments::Client;
use klarna_payments::request::{
    MerchantUrlsBuilder, OrderCreateBuilder, OrderLineBuilder, SessionCreateBuilder,
};
use serde::Deserialize;
use serde_json::json;

/// The cart: name, quantity, unit price in öre (tax included), tax rate in basis points.
const CART: [(&str, i64, i64, i64); 2] = [
    ("Trail running shoe", 1, 129_900, 2500),
    ("Merino socks", 2, 14_900, 2500),
];

/// An order the shop placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedOrder {
    /// Klarna's payment session.
    pub session_id: String,
    /// Klarna's order id.
    pub order_id: String,
    /// `ACCEPTED`, or `PENDING` (wait for Klarna's notification before shipping).
    pub fraud_status: Option<String>,
    /// Where Klarna sends the shopper next (the confirmation page).
    pub redirect_url: Option<String>,
    /// Which path placed it.
    pub placed_by: PlacedBy,
}

/// Who handed the shop the authorization token that placed an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlacedBy {
    /// The checkout page, right after the shopper approved.
    Page,
    /// Klarna's authorization callback, because the page had not (tab closed).
    AuthorizationCallback,
}

/// A running shop. Dropping it stops the server.
pub struct Shop {
    url: String,
    state: Arc<AppState>,
    task: tokio::task::JoinHandle<()>,
}

impl Shop {
    /// The shop's base URL, e.g. `http://127.0.0.1:40123`; the checkout is `{url}/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The payment sessions the shop opened, oldest first.
    pub fn sessions(&self) -> Vec<String> {
        self.state.checkouts.lock().unwrap().order.clone()
    }

    /// The orders placed so far (one being placed right now shows once it is).
    pub fn orders(&self) -> Vec<PlacedOrder> {
        let checkouts = self.state.checkouts.lock().unwrap();
        let placed = checkouts.order.iter().map(|id| &checkouts.by_session[id]);
        placed.filter_map(|c| c.try_lock().ok()?.clone()).collect()
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the shop on 127.0.0.1 (a free port). `client` talks to Klarna (or the
/// simulator); `sdk_url` is where the page loads Klarna's JavaScript SDK from
/// (`https://x.klarnacdn.net/kp/lib/v1/api.js`, or `{simulator}/kp/lib/v1/api.js`);
/// after Klarna's authorization callback the shop waits `callback_grace` for the page
/// to place the order before placing it itself.
pub async fn start(
    client: Client,
    sdk_url: String,
    callback_grace: Duration,
) -> std::io::Result<Shop> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = Arc::new(AppState {
        client,
        sdk_url,
        url: url.clone(),
        callback_grace,
        checkouts: Mutex::default(),
    });
    let app = Router::new()
        .route("/", get(checkout_page))
        .route("/checkout.js", get(checkout_js))
        .route("/checkout/{session_id}/order", post(order_from_page))
        .route("/klarna/authorization", post(authorization_callback))
        .route("/confirmation/{session_id}", get(confirmation_page))
        .with_state(state.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    Ok(Shop { url, state, task })
}

struct AppState {
    client: Client,
    sdk_url: String,
    url: String,
    callback_grace: Duration,
    checkouts: Mutex<Checkouts>,
}

/// Each session's order slot. The async lock makes the page and the callback take
/// turns, so a session gets one order whoever comes first.
#[derive(Default)]
struct Checkouts {
    order: Vec<String>,
    by_session: HashMap<String, Slot>,
}

type Slot = Arc<tokio::sync::Mutex<Option<PlacedOrder>>>;

impl AppState {
    fn slot(&self, session_id: &str) -> Option<Slot> {
        self.checkouts
            .lock()
            .unwrap()
            .by_session
            .get(session_id)
            .cloned()
    }

    /// Places the order of `session_id` with `token`, unless it was placed already.
    async fn place_order(
        &self,
        session_id: &str,
        token: &str,
        placed_by: PlacedBy,
    ) -> Result<PlacedOrder, Failure> {
        let slot = self.slot(session_id).ok_or(Failure::UnknownSession)?;
        let mut slot = slot.lock().await;
        if let Some(order) = &*slot {
            return Ok(order.clone());
        }
        // The order repeats the session as the shopper approved it.
        let session = self.client.read_session(session_id).await?;
        let order = OrderCreateBuilder::from(session.value())
            .merchant_urls(MerchantUrlsBuilder::new().confirmation(self.confirmation_url()));
        let placed = self.client.create_order(token, order).await?;
        let order = PlacedOrder {
            session_id: session_id.to_owned(),
            order_id: placed.order_id.clone(),
            fraud_status: placed.fraud_status.as_ref().map(|s| s.as_str().to_owned()),
            redirect_url: placed.redirect_url.clone(),
            placed_by,
        };
        *slot = Some(order.clone());
        Ok(order)
    }

    /// Klarna replaces `{session.id}` and hands the result back as the order's
    /// `redirect_url`.
    fn confirmation_url(&self) -> String {
        format!("{}/confirmation/{{session.id}}", self.url)
    }
}

enum Failure {
    UnknownSession,
    Klarna(klarna_payments::Error),
}

impl From<klarna_payments::Error> for Failure {
    fn from(error: klarna_payments::Error) -> Self {
        Failure::Klarna(error)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::UnknownSession => (StatusCode::NOT_FOUND, "no such checkout").into_response(),
            // The error's text carries Klarna's messages and correlation id, never the
            // token.
            Failure::Klarna(error) => (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
        }
    }
}

/// `GET /`: opens a payment session for the cart and serves the checkout page.
async fn checkout_page(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, Failure> {
    let multistep = query.is_some_and(|q| q.split('&').any(|p| p == "multistep=1"));
    let lines = CART.map(|(name, quantity, unit_price, tax_rate)| {
        OrderLineBuilder::new()
            .name(name)
            .quantity(quantity)
            .unit_price(unit_price)
            .tax_rate(tax_rate)
    });
    let cart = SessionCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .locale("sv-SE")
        .order_lines(lines)
        .merchant_urls(
            MerchantUrlsBuilder::new()
                .authorization(format!("{}/klarna/authorization", state.url))
                .confirmation(state.confirmation_url()),
        );
    let session = state.client.create_session(cart).await?;
    {
        let mut checkouts = state.checkouts.lock().unwrap();
        checkouts.order.push(session.session_id.clone());
        let slot = Slot::default();
        checkouts
            .by_session
            .insert(session.session_id.clone(), slot);
    }

    let categories: Vec<_> = (session.payment_method_categories.iter().flatten())
        .filter_map(|c| Some((c.identifier.as_ref()?.as_str(), c.name.as_deref()?)))
        .map(|(id, name)| json!({"identifier": id, "name": name}))
        .collect();
    // What the page's script needs; the client token is meant for the browser.
    let data = json!({
        "session_id": session.session_id,
        "client_token": session.client_token.as_ref().map(|t| t.expose()),
        "payment_method_categories": categories,
        "multistep": multistep,
    });
    let total: i64 = CART.iter().map(|(_, q, price, _)| q * price).sum();
    let rows: String = CART
        .iter()
        .map(|(name, q, price, _)| {
            let amount = money(q * price);
            format!("<tr><td>{q} × {}</td><td>{amount}</td></tr>", escape(name))
        })
        .collect();
    let page = include_str!("checkout.html")
        .replace("{{rows}}", &rows)
        .replace("{{total}}", &money(total))
        .replace("{{pay}}", if multistep { "Continue" } else { "Pay" })
        // JSON inside a <script> element: no `<` may end it early.
        .replace("{{data}}", &data.to_string().replace('<', "\\u003c"))
        .replace("{{sdk_url}}", &escape(&state.sdk_url));
    Ok(Html(page))
}

async fn checkout_js() -> impl IntoResponse {
    let script = include_str!("checkout.js");
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        script,
    )
}

#[derive(Deserialize)]
struct FromPage {
    authorization_token: String,
}

/// `POST /checkout/{session_id}/order`: the page hands over the authorization token.
async fn order_from_page(
    State(state): State<Arc<AppState>>,
    Path(session_id): Path<String>,
    Json(body): Json<FromPage>,
) -> Result<Json<serde_json::Value>, Failure> {
    let order = (state.place_order(&session_id, &body.authorization_token, PlacedBy::Page)).await?;
    let next = (order.redirect_url.clone()).unwrap_or(format!("/confirmation/{session_id}"));
    Ok(Json(
        json!({"order_id": order.order_id, "redirect_url": next}),
    ))
}

/// Klarna's authorization callback body.
#[derive(Deserialize)]
struct Callback {
    authorization_token: String,
    session_id: String,
}

/// `POST /klarna/authorization`: Klarna's authorization callback. Answers at once; if
/// the page has not placed the order within the grace period, places it. Anyone can
/// post here, so only the shop's own open sessions are accepted, and Klarna itself
/// refuses a token that does not belong to the session's purchase.
async fn authorization_callback(
    State(state): State<Arc<AppState>>,
    Json(callback): Json<Callback>,
) -> StatusCode {
    if state.slot(&callback.session_id).is_none() {
        return StatusCode::NOT_FOUND;
    }
    tokio::spawn(async move {
        tokio::time::sleep(state.callback_grace).await;
        let (session_id, token) = (&callback.session_id, &callback.authorization_token);
        let placed = state.place_order(session_id, token, PlacedBy::AuthorizationCallback);
        if let Err(Failure::Klarna(error)) = placed.await {
            eprintln!("shop: the authorization callback could not place the order: {error}");
        }
    });
    StatusCode::OK
}

/// `GET /confirmation/{session_id}`: the order, once placed.
async fn confirmation_page(
    State(state): State<Arc<AppState>>,
    Path(session_id): Path<String>,
) -> Response {
    let order = match state.slot(&session_id) {
        Some(slot) => slot.lock().await.clone(),
        None => None,
    };
    let Some(order) = order else {
        return (
            StatusCode::NOT_FOUND,
            Html("<h1>No order for this checkout</h1>"),
        )
            .into_response();
    };
    let pending = match order.fraud_status.as_deref() {
        Some("PENDING") => {
            "<p>Klarna is still reviewing the purchase; we ship once it is accepted.</p>"
        }
        _ => "",
    };
    let page = include_str!("confirmation.html")
        .replace("{{order_id}}", &escape(&order.order_id))
        .replace("{{pending}}", pending);
    Html(page).into_response()
}

fn money(minor: i64) -> String {
    format!("{}.{:02} SEK", minor / 100, minor % 100)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
