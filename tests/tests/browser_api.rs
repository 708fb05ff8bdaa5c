//! The endpoints the simulator's browser library calls (`/kp/payments/v1/`), over plain
//! HTTP: only the session's own client token opens them (never the merchant's Basic
//! credentials, never another session's token), they answer CORS for the page's origin,
//! they show the browser no personal data, and the page's data updates the session or
//! comes back as Klarna's `invalid_fields`. (The library itself, in a real browser:
//! `browser.rs`.)

use klarna_payments::request::{AddressBuilder, OrderLineBuilder, SessionCreateBuilder};
use klarna_simulator::{Simulator, SimulatorHandle};
use serde_json::{Value, json};

async fn session(simulator: &SimulatorHandle) -> (String, String) {
    let client = simulator.client_builder().build().unwrap();
    let created = client
        .create_session(
            SessionCreateBuilder::new()
                .purchase_country("SE")
                .purchase_currency("SEK")
                .billing_address(AddressBuilder::new().email("shopper@example.com"))
                .order_lines([OrderLineBuilder::new()
                    .name("Shoe")
                    .quantity(1)
                    .unit_price(1000)
                    .tax_rate(2500)]),
        )
        .await
        .unwrap();
    let token = created.client_token.as_ref().unwrap().expose().to_owned();
    (created.session_id.clone(), token)
}

fn endpoint(simulator: &SimulatorHandle, path: &str) -> String {
    format!("{}/kp/payments/v1/{path}", simulator.base_url())
}

#[tokio::test]
async fn only_the_sessions_own_client_token_opens_the_browser_endpoints() {
    let simulator = Simulator::start().await.unwrap();
    let (id, token) = session(&simulator).await;
    let (_, other) = session(&simulator).await;
    let http = reqwest::Client::new();
    let get = |auth: Option<String>| {
        let request = http.get(endpoint(&simulator, "session"));
        match auth {
            Some(value) => request.header("authorization", value),
            None => request,
        }
    };

    let view: Value = get(Some(format!("Bearer {token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["session_id"], id.as_str());
    assert_eq!(view["order_amount"], 1000);
    assert!(
        !view.to_string().contains("shopper@example.com"),
        "no personal data for the browser: {view}"
    );

    // Another session's token with this session's id put in its claims: the signature
    // and the stored token no longer match.
    let mut parts: Vec<String> = other.split('.').map(str::to_owned).collect();
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value = serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
    claims["session_id"] = json!(id);
    parts[1] = engine.encode(claims.to_string());
    let forged = parts.join(".");
    let basic = format!(
        "Basic {}",
        engine.encode(format!("{}:{}", simulator.username(), simulator.password()))
    );
    for refused in [
        None,
        Some(basic),
        Some(format!("Bearer {forged}")),
        Some("Bearer not-a-token".into()),
        Some(token.clone()),
    ] {
        let answer = get(refused.clone()).send().await.unwrap();
        assert_eq!(answer.status(), 401, "{refused:?}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error_code"], "UNAUTHORIZED");
    }
    // The merchant's API does not take the client token either.
    let merchant = http
        .get(format!(
            "{}/payments/v1/sessions/{id}",
            simulator.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(merchant.status(), 401);
}

#[tokio::test]
async fn the_page_origin_may_call_and_its_data_updates_the_session() {
    let simulator = Simulator::start().await.unwrap();
    let (id, token) = session(&simulator).await;
    let http = reqwest::Client::new();
    let origin = "http://shop.localhost:3000";

    let preflight = http
        .request(reqwest::Method::OPTIONS, endpoint(&simulator, "load"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let allowed = |name: &str| {
        preflight
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    assert_eq!(allowed("access-control-allow-origin"), origin);
    assert!(allowed("access-control-allow-headers").contains("authorization"));
    assert!(allowed("access-control-allow-methods").contains("post"));

    let load = |data: Value| {
        http.post(endpoint(&simulator, "load"))
            .header("origin", origin)
            .bearer_auth(&token)
            .json(&json!({"payment_method_category": "pay_later", "data": data}))
            .send()
    };
    let answer = load(json!({"merchant_reference2": "from-the-page"}))
        .await
        .unwrap();
    assert_eq!(
        answer.headers()["access-control-allow-origin"]
            .to_str()
            .unwrap(),
        origin
    );
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["result"], json!({"show_form": true}));
    let client = simulator.client_builder().build().unwrap();
    let read = client.read_session(&id).await.unwrap();
    assert_eq!(read.merchant_reference2.as_deref(), Some("from-the-page"));

    // Data that breaks the spec: named in invalid_fields, nothing changed.
    let answer: Value = load(json!({"locale": "swedish"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["result"],
        json!({"show_form": true, "error": {"invalid_fields": ["locale"]}})
    );
    let unknown: Value = http
        .post(endpoint(&simulator, "load"))
        .bearer_auth(&token)
        .json(&json!({"payment_method_category": "pay_by_cheque"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unknown["result"], json!({"show_form": false}));

    // The library itself is served as JavaScript.
    let library = http
        .get(format!("{}/kp/lib/v1/api.js", simulator.base_url()))
        .send()
        .await
        .unwrap();
    assert!(
        library.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let text = library.text().await.unwrap();
    assert!(text.contains("klarnaAsyncCallback") && text.contains("Klarna.Payments"));
}

#[tokio::test]
async fn finalize_completes_only_an_approval_that_asked_for_it() {
    let simulator = Simulator::start().await.unwrap();
    let (id, token) = session(&simulator).await;
    let http = reqwest::Client::new();
    let call = |path: &'static str, body: Value| {
        http.post(endpoint(&simulator, path))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let nothing: Value = call("finalize", json!({"payment_method_category": "pay_later"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(nothing, json!({"approved": false, "show_form": true}));

    let pending: Value = call(
        "authorize",
        json!({"payment_method_category": "pay_later", "approved": true, "auto_finalize": false}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        pending,
        json!({"approved": true, "show_form": true, "finalize_required": true})
    );
    let client = simulator.client_builder().build().unwrap();
    assert!(
        client
            .read_session(&id)
            .await
            .unwrap()
            .authorization_token
            .is_none()
    );
    let finalized: Value = call("finalize", json!({"payment_method_category": "pay_later"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = finalized["authorization_token"].as_str().unwrap();
    assert_eq!(
        client
            .read_session(&id)
            .await
            .unwrap()
            .authorization_token
            .as_ref()
            .map(|t| t.expose()),
        Some(token)
    );
    let declined: Value = call(
        "authorize",
        json!({"payment_method_category": "pay_later", "approved": false}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(declined, json!({"approved": false, "show_form": false}));
}
