//! A whole checkout in a real browser, offline: headless Chromium, driven over WebDriver
//! (chromedriver, started by each test on a free loopback port), runs the example shop
//! (`klarna-simulator/examples/shop`) and a page written only against Klarna's documented
//! JavaScript SDK (`tests/browser/klarna-docs-checkout.html`) against the simulator's
//! drop-in for that SDK, `{simulator}/kp/lib/v1/api.js`.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (`chromium` and
//! `chromedriver` on `PATH`, or the `CHROME` and `CHROMEDRIVER` variables naming them).
//! Without them each test prints a loud SKIPPED notice and passes, unless the `CI`
//! variable is set: then it fails, naming the packages.
//!
//! Every wait is bounded. What the tests leave in `target/browser/` (under the
//! workspace): `widget.png` (the widget in the shop's page) and `dialog.png` (the
//! approval dialog); after a failure `<test>-failure.png`, `<test>-console.log` (the
//! browser's console) and `<test>-chromedriver.log`.

#[path = "../../klarna-simulator/examples/shop/app.rs"]
mod shop;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client as Browser, ClientBuilder, Locator};
use klarna_payments::Client;
use klarna_payments::request::{OrderCreateBuilder, OrderLineBuilder, SessionCreateBuilder};
use klarna_simulator::{Operation, Simulator, SimulatorHandle};
use serde_json::{Value, json};
use shop::{PlacedBy, Shop};

/// How long a test waits for an element, a page or a state.
const WAIT: Duration = Duration::from_secs(15);
/// How long one test's browser part may take in all.
const SCENARIO_LIMIT: Duration = Duration::from_secs(120);
/// How long chromedriver and the browser may take to start.
const STARTUP_LIMIT: Duration = Duration::from_secs(30);

/// Two browsers at a time: each Chromium takes a core while it starts.
static BROWSER_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

#[tokio::test]
async fn approving_in_the_dialog_places_the_order_and_shows_its_id() {
    run("approve", |browser| async move {
        let (simulator, client, shop) = simulator_and_shop(Duration::from_secs(60)).await;
        browser.goto(&format!("{}/", shop.url())).await.unwrap();
        let widget = wait_for(&browser, "[data-testid='klarna-simulator-widget']").await;
        assert!(
            widget.text().await.unwrap().contains("Klarna simulator"),
            "the widget is visibly the simulator's"
        );
        wait_for(&browser, "[data-testid='pay']:enabled").await;
        screenshot(&browser, "widget.png").await;

        click(&browser, "[data-testid='pay']").await;
        wait_for(&browser, "[data-testid='klarna-simulator-approve']").await;
        screenshot(&browser, "dialog.png").await;
        click(&browser, "[data-testid='klarna-simulator-approve']").await;

        let shown = wait_for(&browser, "[data-testid='order-id']").await;
        let shown = shown.text().await.unwrap();
        let [order] = shop.orders().try_into().expect("one order");
        assert_eq!(order.order_id, shown);
        assert_eq!(order.placed_by, PlacedBy::Page);
        assert_eq!(status(&client, &order.session_id).await, "complete");
        assert_eq!(operations(&simulator, Operation::CreateOrder), 1);
    })
    .await;
}

#[tokio::test]
async fn declining_in_the_dialog_shows_the_rejection_and_places_no_order() {
    run("decline", |browser| async move {
        let (simulator, client, shop) = simulator_and_shop(Duration::from_secs(60)).await;
        browser.goto(&format!("{}/", shop.url())).await.unwrap();
        click(&browser, "[data-testid='pay']:enabled").await;
        click(&browser, "[data-testid='klarna-simulator-decline']").await;

        let declined = wait_for(&browser, "[data-testid='payment-declined']").await;
        assert!(declined.is_displayed().await.unwrap());
        let pay = browser.find(Locator::Css("[data-testid='pay']")).await;
        assert!(!pay.unwrap().is_displayed().await.unwrap(), "Pay is gone");
        assert_eq!(shop.orders(), []);
        let [session_id] = shop.sessions().try_into().expect("one session");
        assert_eq!(status(&client, &session_id).await, "incomplete");
        assert_eq!(operations(&simulator, Operation::CreateOrder), 0);
    })
    .await;
}

#[tokio::test]
async fn a_multi_step_checkout_approves_then_finalizes() {
    run("multistep", |browser| async move {
        let (_simulator, client, shop) = simulator_and_shop(Duration::from_secs(60)).await;
        browser
            .goto(&format!("{}/?multistep=1", shop.url()))
            .await
            .unwrap();
        click(&browser, "[data-testid='pay']:enabled").await;
        click(&browser, "[data-testid='klarna-simulator-approve']").await;

        // authorize({auto_finalize: false}) answered finalize_required: no token yet.
        let finalize = wait_for(&browser, "[data-testid='finalize']").await;
        assert!(finalize.is_displayed().await.unwrap());
        assert_eq!(shop.orders(), []);
        let [session_id] = shop.sessions().try_into().expect("one session");
        assert_eq!(status(&client, &session_id).await, "incomplete");

        finalize.click().await.unwrap();
        let shown = wait_for(&browser, "[data-testid='order-id']").await;
        let [order] = shop.orders().try_into().expect("one order");
        assert_eq!(order.order_id, shown.text().await.unwrap());
        assert_eq!(order.placed_by, PlacedBy::Page);
        assert_eq!(status(&client, &session_id).await, "complete");
    })
    .await;
}

/// The shopper approves and the tab goes away before the page can post the token: the
/// page's own order request never leaves (the test turns it into a navigation away at
/// the moment it would be sent), so only Klarna's authorization callback tells the shop.
#[tokio::test]
async fn when_the_tab_closes_after_approval_the_authorization_callback_places_the_order() {
    run("tab-closed", |browser| async move {
        let (simulator, client, shop) = simulator_and_shop(Duration::from_millis(300)).await;
        browser.goto(&format!("{}/", shop.url())).await.unwrap();
        wait_for(&browser, "[data-testid='pay']:enabled").await;
        let leave_instead_of_posting = r#"
            const fetch = window.fetch;
            window.fetch = function (resource, options) {
                if (String(resource).startsWith("/checkout/")) {
                    window.location.replace("about:blank");
                    return new Promise(() => {});
                }
                return fetch.call(this, resource, options);
            };"#;
        browser
            .execute(leave_instead_of_posting, vec![])
            .await
            .unwrap();
        click(&browser, "[data-testid='pay']").await;
        click(&browser, "[data-testid='klarna-simulator-approve']").await;

        let left = Instant::now();
        while browser.current_url().await.unwrap().as_str() != "about:blank" {
            assert!(left.elapsed() < WAIT, "the page never went away");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let order = eventually("the callback's order", || shop.orders().pop()).await;
        assert_eq!(order.placed_by, PlacedBy::AuthorizationCallback);
        assert_eq!(status(&client, &order.session_id).await, "complete");
        let callbacks: Vec<_> = (simulator.requests().into_iter())
            .filter(|r| r.outbound)
            .collect();
        assert_eq!(
            callbacks.len(),
            1,
            "one authorization callback: {callbacks:?}"
        );
        assert_eq!(callbacks[0].status, Some(200));
    })
    .await;
}

/// A page written from Klarna's documentation alone (`tests/browser/klarna-docs-checkout.html`,
/// with Klarna's own script src), served with only that src changed to the simulator's,
/// completes a checkout; its backend (here, the test) places the order.
#[tokio::test]
async fn a_page_written_against_klarnas_documented_sdk_checks_out_unchanged() {
    run("docs-page", |browser| async move {
        let simulator = Simulator::start().await.unwrap();
        let client = simulator.client_builder().build().unwrap();
        let created = client.create_session(cart()).await.unwrap();
        let category = first_category(&created);
        let page = include_str!("../browser/klarna-docs-checkout.html");
        assert!(page.contains(KLARNA_SDK), "the page loads Klarna's own SDK");
        let page = page
            .replace(KLARNA_SDK, &sdk_url(&simulator))
            .replace(
                "{{client_token}}",
                created.client_token.as_ref().unwrap().expose(),
            )
            .replace("{{payment_method_category}}", &category);
        let server = serve(page).await;

        browser.goto(&format!("{server}/")).await.unwrap();
        click(&browser, "#buy:enabled").await;
        click(&browser, "[data-testid='klarna-simulator-approve']").await;
        let result = wait_for(&browser, "#result:not(:empty)").await;
        let result: Value = serde_json::from_str(&result.text().await.unwrap()).unwrap();
        assert_eq!(
            (&result["approved"], &result["show_form"]),
            (&json!(true), &json!(true)),
            "{result}"
        );
        let token = result["authorization_token"].as_str().expect("a token");

        let session = client.read_session(&created.session_id).await.unwrap();
        let order = OrderCreateBuilder::from(session.value());
        client.create_order(token, order).await.unwrap();
        assert_eq!(status(&client, &created.session_id).await, "complete");
    })
    .await;
}

/// What Klarna's SDK throws, the simulator's throws, with Klarna's error names.
#[tokio::test]
async fn the_sdk_refuses_what_klarnas_refuses() {
    run("sdk-errors", |browser| async move {
        let simulator = Simulator::start().await.unwrap();
        let client = simulator.client_builder().build().unwrap();
        let created = client.create_session(cart()).await.unwrap();
        let category = first_category(&created);
        let page = format!(
            r#"<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>SDK only</title>
            <div id="klarna-payments-container"></div>
            <script>window.klarnaAsyncCallback = function () {{ window.sdkReady = true; }};</script>
            <script src="{}" async></script>"#,
            sdk_url(&simulator)
        );
        let server = serve(page).await;
        browser.goto(&format!("{server}/")).await.unwrap();
        let started = Instant::now();
        while browser.execute("return window.sdkReady === true", vec![]).await.unwrap() != json!(true) {
            assert!(started.elapsed() < WAIT, "the SDK never called klarnaAsyncCallback");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let names = browser
            .execute(
                r##"
                const [token, category] = arguments;
                const P = Klarna.Payments;
                const thrown = (call) => {
                    try { call(); return "nothing thrown"; }
                    catch (e) { return e instanceof Error ? e.name : "not an Error: " + e; }
                };
                const container = "#klarna-payments-container";
                const names = {};
                names.load_before_init = thrown(() =>
                    P.load({ container, payment_method_category: category }, {}, () => {}));
                names.authorize_before_init = thrown(() =>
                    P.authorize({ payment_method_category: category }, {}, () => {}));
                names.bad_token = thrown(() => P.init({ client_token: "not-a-token" }));
                names.no_token = thrown(() => P.init({}));
                names.good_token = thrown(() => P.init({ client_token: token }));
                names.missing_container = thrown(() =>
                    P.load({ container: "#no-such-element", payment_method_category: category },
                        {}, () => {}));
                names.no_category = thrown(() => P.load({ container }, {}, () => {}));
                names.unknown_category = thrown(() =>
                    P.load({ container, payment_method_category: "pay_by_cheque" }, {}, () => {}));
                return names;"##,
                vec![
                    json!(created.client_token.as_ref().unwrap().expose()),
                    json!(category),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            names,
            json!({
                "load_before_init": "ApplicationNotInitializedError",
                "authorize_before_init": "ApplicationNotInitializedError",
                "bad_token": "InvalidClientTokenError",
                "no_token": "InvalidClientTokenError",
                "good_token": "nothing thrown",
                "missing_container": "InvalidContainerSelectorError",
                "no_category": "PaymentMethodCategoryNotProvidedError",
                "unknown_category": "PaymentMethodCategoryNotSupportedError",
            })
        );
    })
    .await;
}

// ---- the shop, the simulator and the pages ----

const KLARNA_SDK: &str = "https://x.klarnacdn.net/kp/lib/v1/api.js";

fn sdk_url(simulator: &SimulatorHandle) -> String {
    format!("{}/kp/lib/v1/api.js", simulator.base_url())
}

async fn simulator_and_shop(callback_grace: Duration) -> (SimulatorHandle, Client, Shop) {
    let simulator = Simulator::start().await.unwrap();
    let client = simulator.client_builder().build().unwrap();
    let shop = shop::start(client.clone(), sdk_url(&simulator), callback_grace);
    (simulator, client, shop.await.unwrap())
}

fn cart() -> SessionCreateBuilder {
    SessionCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .locale("sv-SE")
        .order_lines([OrderLineBuilder::new()
            .name("Trail shoe")
            .quantity(1)
            .unit_price(129_900)
            .tax_rate(2500)])
}

fn first_category(created: &klarna_payments::types::MerchantSession) -> String {
    let categories = created
        .payment_method_categories
        .as_deref()
        .unwrap_or_default();
    let first = categories.first().and_then(|c| c.identifier.as_ref());
    first
        .expect("a payment method category")
        .as_str()
        .to_owned()
}

async fn status(client: &Client, session_id: &str) -> String {
    let session = client.read_session(session_id).await.unwrap();
    session
        .status
        .as_ref()
        .expect("a status")
        .as_str()
        .to_owned()
}

fn operations(simulator: &SimulatorHandle, operation: Operation) -> usize {
    let requests = simulator.requests().into_iter();
    requests.filter(|r| r.operation == Some(operation)).count()
}

/// Serves `page` at `/` on a free loopback port; its base URL.
async fn serve(page: String) -> String {
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(|| async { axum::response::Html(page) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    url
}

// ---- waiting and looking ----

async fn wait_for(browser: &Browser, css: &str) -> fantoccini::elements::Element {
    let found = browser.wait().at_most(WAIT).for_element(Locator::Css(css));
    match found.await {
        Ok(element) => element,
        Err(error) => panic!("no `{css}` within {WAIT:?}: {error}"),
    }
}

async fn click(browser: &Browser, css: &str) {
    wait_for(browser, css).await.click().await.unwrap();
}

/// Polls `probe` until it gives something, for at most [`WAIT`].
async fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(started.elapsed() < WAIT, "no {what} within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn screenshot(browser: &Browser, name: &str) {
    let png = browser.screenshot().await.unwrap();
    std::fs::write(artifacts().join(name), png).unwrap();
}

/// `target/browser/` under the workspace.
fn artifacts() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = workspace.join("target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---- the browser: chromedriver, a session, artefacts on failure ----

/// Runs `scenario` with a fresh headless browser; on a failure (or after
/// [`SCENARIO_LIMIT`]) saves a screenshot and the console under `target/browser/`
/// before failing.
async fn run<F, Fut>(name: &'static str, scenario: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(tools) = browser_tools(name) else {
        return;
    };
    let _slot = BROWSER_SLOTS.acquire().await.unwrap();
    let dir = artifacts();
    for stale in ["failure.png", "console.log", "chromedriver.log"] {
        let _ = std::fs::remove_file(dir.join(format!("{name}-{stale}")));
    }
    let driver_log = dir.join(format!("{name}-chromedriver.log"));
    let driver = ChromeDriver::start(&tools.chromedriver, &driver_log);
    let browser = tokio::time::timeout(STARTUP_LIMIT, new_session(&driver, &tools.chrome))
        .await
        .unwrap_or_else(|_| panic!("no browser session within {STARTUP_LIMIT:?}"));

    let mut task = tokio::spawn(scenario(browser.clone()));
    let failure = match tokio::time::timeout(SCENARIO_LIMIT, &mut task).await {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error),
        Err(_) => {
            task.abort();
            eprintln!("{name}: not done within {SCENARIO_LIMIT:?}");
            Some(task.await.expect_err("aborted"))
        }
    };
    if failure.is_some() {
        save_failure(&browser, name, &dir).await;
    }
    let _ = tokio::time::timeout(WAIT, browser.close()).await;
    drop(driver);
    if let Some(error) = failure {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
        panic!("{name}: {error} (see target/browser/{name}-*)");
    }
    let _ = std::fs::remove_file(driver_log);
}

async fn save_failure(browser: &Browser, name: &str, dir: &Path) {
    if let Ok(Ok(png)) = tokio::time::timeout(WAIT, browser.screenshot()).await {
        let _ = std::fs::write(dir.join(format!("{name}-failure.png")), png);
    }
    let log = match tokio::time::timeout(WAIT, browser.issue_cmd(ConsoleLog)).await {
        Ok(Ok(Value::Array(entries))) => entries
            .iter()
            .map(|e| {
                let text = |key: &str| e[key].as_str().map_or(e[key].to_string(), str::to_owned);
                format!("{} {} {}\n", e["timestamp"], text("level"), text("message"))
            })
            .collect(),
        Ok(other) => format!("could not read the console: {other:?}\n"),
        Err(_) => "could not read the console in time\n".to_owned(),
    };
    let url = match tokio::time::timeout(WAIT, browser.current_url()).await {
        Ok(Ok(url)) => url.to_string(),
        _ => "unknown".to_owned(),
    };
    let log = format!("page: {url}\n{log}");
    let _ = std::fs::write(dir.join(format!("{name}-console.log")), log);
    eprintln!("{name}: screenshot and console log in {}", dir.display());
}

/// chromedriver's (non-W3C) command for the browser console: the entries logged since
/// the last call, with `goog:loggingPrefs` `{"browser": "ALL"}`.
#[derive(Debug)]
struct ConsoleLog;

impl WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

struct Tools {
    chrome: PathBuf,
    chromedriver: PathBuf,
}

/// Chromium and chromedriver, or `None` after the skip notice (a panic when `CI` is set).
fn browser_tools(test: &str) -> Option<Tools> {
    let chrome = tool("CHROME", &["chromium", "chromium-browser", "google-chrome"]);
    let chromedriver = tool("CHROMEDRIVER", &["chromedriver"]);
    if let (Some(chrome), Some(chromedriver)) = (&chrome, &chromedriver) {
        return Some(Tools {
            chrome: chrome.clone(),
            chromedriver: chromedriver.clone(),
        });
    }
    let missing = match (chrome, chromedriver) {
        (None, None) => "Chromium and chromedriver",
        (None, _) => "Chromium",
        _ => "chromedriver",
    };
    let how = "install the Debian packages `chromium` and `chromium-driver` \
        (apt-get install chromium chromium-driver), or set CHROME and CHROMEDRIVER";
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {missing} not found; {how}");
    }
    // Straight to stderr: the test harness would hide `eprintln!` of a passing test.
    let bar = "#".repeat(78);
    let notice = format!(
        "\n{bar}\nSKIPPED browser test `{test}`: {missing} not found.\nTo run it, {how}.\n\
         (With CI set, this is a failure.)\n{bar}\n"
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
    None
}

/// `$variable`, or the first of `names` on `PATH`.
fn tool(variable: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// A chromedriver on a free loopback port, stopped when dropped.
struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    fn start(binary: &Path, log: &Path) -> ChromeDriver {
        let started = Instant::now();
        // A free port may be taken between asking and binding: try a few.
        for _ in 0..5 {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|l| l.local_addr())
                .unwrap()
                .port();
            let mut child = Command::new(binary)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            loop {
                if let Ok(Some(_exited)) = child.try_wait() {
                    break;
                }
                if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                    let url = format!("http://{address}");
                    return ChromeDriver { child, url };
                }
                if started.elapsed() > STARTUP_LIMIT {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("chromedriver did not listen within {STARTUP_LIMIT:?}");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!(
            "chromedriver exited at once five times; see {}",
            log.display()
        );
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn new_session(driver: &ChromeDriver, chrome: &Path) -> Browser {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chrome,
            "args": [
                "--headless=new",
                // Root in a container has no user namespace for Chromium's sandbox.
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--no-first-run",
                "--window-size=900,800",
            ],
        },
        "goog:loggingPrefs": {"browser": "ALL"},
        "timeouts": {"pageLoad": 30_000, "script": 15_000, "implicit": 0},
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("no browser session from chromedriver: {e}"))
}
