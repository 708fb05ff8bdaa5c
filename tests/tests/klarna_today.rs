//! What Klarna's current docs add beyond the 2023 spec, end to end through the client
//! and the simulator: newer intents, in-store sessions, identity numbers in a read,
//! cancelling a session, and values this crate does not know yet.

use klarna_payments::request::{
    CustomerBuilder, DistributionBuilder, SessionCreateBuilder, SessionUpdateBuilder,
};
use klarna_payments::types::{
    AcquiringChannel, DistributionMethod, Intent, OrderLineType, SessionStatus,
};
use klarna_payments::validation::Checks;
use klarna_payments::{Client, Error, ErrorCode, RetryPolicy};
use klarna_simulator::{Simulator, SimulatorHandle};
use tests::fixtures::{order_line, session_for};

async fn simulator_and_client() -> (SimulatorHandle, Client) {
    let simulator = Simulator::start().await.unwrap();
    let client = simulator
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .checks(Checks::default())
        .build()
        .unwrap();
    (simulator, client)
}

fn body() -> SessionCreateBuilder {
    session_for(vec![order_line("Lamp", 10_000, 1, 2500)])
}

fn api_code(error: &Error) -> Option<ErrorCode> {
    error.as_api().and_then(|api| api.code.clone())
}

#[tokio::test]
async fn newer_intents_and_values_the_crate_does_not_know_are_sent_and_read_back() {
    let (_simulator, client) = simulator_and_client().await;
    for intent in [
        Intent::BuyAndDefaultTokenize,
        Intent::BuyAndLink,
        Intent::from("buy_and_subscribe_later"),
    ] {
        let created = client
            .create_session(body().intent(intent.clone()))
            .await
            .unwrap_or_else(|e| panic!("{intent}: {e}"));
        let read = client.read_session(&created.session_id).await.unwrap();
        assert_eq!(read.intent.as_ref(), Some(&intent));
        assert_eq!(read.status, Some(SessionStatus::Incomplete));
    }
}

#[tokio::test]
async fn an_in_store_session_answers_with_a_result_url_and_no_client_token() {
    let (_simulator, client) = simulator_and_client().await;
    let distribution = DistributionBuilder::new()
        .method(DistributionMethod::Qr)
        .short_code("4711");
    let created = client
        .create_session(
            body()
                .acquiring_channel(AcquiringChannel::from("in_store"))
                .distribution(distribution),
        )
        .await
        .unwrap();
    assert_eq!(created.client_token, None);
    let url = created
        .distribution
        .as_ref()
        .and_then(|d| d.result_url.as_deref())
        .expect("a result url");
    assert!(url.contains(&created.session_id), "{url}");
    let read = client.read_session(&created.session_id).await.unwrap();
    assert_eq!(read.client_token, None);
    assert_eq!(read.acquiring_channel, Some(AcquiringChannel::InStore));
}

#[tokio::test]
async fn a_short_code_must_be_2_to_20_digits() {
    for bad in ["1", "12a", "123456789012345678901"] {
        let built = DistributionBuilder::new()
            .method(DistributionMethod::Qr)
            .short_code(bad)
            .build();
        let refused = built.expect_err(bad);
        let fields: Vec<&str> = refused
            .violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["short_code"], "{bad}");
    }
    let good = DistributionBuilder::new()
        .method(DistributionMethod::Qr)
        .short_code("4711");
    assert!(good.build().is_ok());
}

#[tokio::test]
async fn identity_numbers_come_back_in_a_read() {
    let (_simulator, client) = simulator_and_client().await;
    let customer = CustomerBuilder::new()
        .national_identification_number("197812310000")
        .last_four_ssn("1234");
    let created = client
        .create_session(body().customer(customer))
        .await
        .unwrap();
    let read = client.read_session(&created.session_id).await.unwrap();
    let customer = read.customer.as_ref().expect("a customer");
    assert_eq!(
        customer.national_identification_number.as_deref(),
        Some("197812310000")
    );
    assert_eq!(customer.last_four_ssn.as_deref(), Some("1234"));
}

#[tokio::test]
async fn a_cancelled_session_is_gone() {
    let (simulator, client) = simulator_and_client().await;
    let created = client.create_session(body()).await.unwrap();
    let cancelled = client.cancel_session(&created.session_id).await.unwrap();
    assert_eq!(cancelled.http_status().as_u16(), 204);
    assert!(cancelled.correlation_id().is_some());

    let read = client.read_session(&created.session_id).await.unwrap_err();
    assert_eq!(api_code(&read), Some(ErrorCode::NotFound));
    let update = client
        .update_session(
            &created.session_id,
            SessionUpdateBuilder::new().merchant_reference1("X"),
        )
        .await
        .unwrap_err();
    assert_eq!(api_code(&update), Some(ErrorCode::NotFound));
    let again = client
        .cancel_session(&created.session_id)
        .await
        .unwrap_err();
    assert_eq!(api_code(&again), Some(ErrorCode::NotFound));

    // A session that became an order cannot be cancelled.
    let ordered = client.create_session(body()).await.unwrap();
    assert!(simulator.complete_session(&ordered.session_id));
    let refused = client
        .cancel_session(&ordered.session_id)
        .await
        .unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(api_code(&refused), Some(ErrorCode::SessionCompleted));
}

#[tokio::test]
async fn an_unknown_line_type_passes_the_pre_send_checks() {
    let (_simulator, client) = simulator_and_client().await;
    let mut line = order_line("Voucher", 5_000, 1, 2500);
    line.type_ = Some(OrderLineType::from("voucher_bundle"));
    let created = client
        .create_session(
            SessionCreateBuilder::new()
                .purchase_country("SE")
                .purchase_currency("SEK")
                .order_amount(line.total_amount)
                .order_tax_amount(line.total_tax_amount.expect("the fixture sets it"))
                .order_lines([line]),
        )
        .await
        .unwrap();
    let read = client.read_session(&created.session_id).await.unwrap();
    let lines = read.order_lines.as_ref().unwrap();
    assert_eq!(
        lines[0].type_,
        Some(OrderLineType::Unknown("voucher_bundle".into()))
    );
}
