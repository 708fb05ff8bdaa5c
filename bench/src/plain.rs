//! Plain serde structs with the shape of the spec's models: what a hand-written client
//! would use. The baseline contender and the encode/decode comparison use them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderLine {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub name: String,
    pub quantity: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity_unit: Option<String>,
    pub unit_price: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_rate: Option<i64>,
    pub total_amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_discount_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_tax_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_data: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionCreate {
    pub purchase_country: String,
    pub purchase_currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    pub order_amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_tax_amount: Option<i64>,
    pub order_lines: Vec<OrderLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_reference1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_reference2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MerchantUrls {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderCreate {
    pub purchase_country: String,
    pub purchase_currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    pub order_amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_tax_amount: Option<i64>,
    pub order_lines: Vec<OrderLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_reference1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_reference2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_urls: Option<MerchantUrls>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_capture: Option<bool>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_reference1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_tax_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_lines: Option<Vec<OrderLine>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AssetUrls {
    pub descriptive: Option<String>,
    pub standard: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PaymentMethodCategory {
    pub identifier: Option<String>,
    pub name: Option<String>,
    pub asset_urls: Option<AssetUrls>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MerchantSession {
    pub session_id: String,
    pub client_token: String,
    pub payment_method_categories: Option<Vec<PaymentMethodCategory>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionRead {
    pub status: Option<String>,
    pub expires_at: Option<String>,
    pub client_token: Option<String>,
    pub purchase_country: Option<String>,
    pub purchase_currency: Option<String>,
    pub locale: Option<String>,
    pub intent: Option<String>,
    pub acquiring_channel: Option<String>,
    pub order_amount: Option<i64>,
    pub order_tax_amount: Option<i64>,
    pub merchant_reference1: Option<String>,
    pub merchant_reference2: Option<String>,
    pub order_lines: Option<Vec<OrderLine>>,
    pub payment_method_categories: Option<Vec<PaymentMethodCategory>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorizedPaymentMethod {
    #[serde(rename = "type")]
    pub kind: String,
    pub number_of_days: Option<i32>,
    pub number_of_installments: Option<i32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Order {
    pub order_id: String,
    pub redirect_url: Option<String>,
    pub fraud_status: Option<String>,
    pub authorized_payment_method: Option<AuthorizedPaymentMethod>,
}
