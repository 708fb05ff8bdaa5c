//! placeholder
use progenitor_client::{ClientHooks, OperationInfo};
#[derive(Clone, Debug, Default)]
pub struct Transport;
impl ClientHooks<Transport> for crate::generated::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        progenitor_client::ClientInfo::client(self)
            .execute(request)
            .await
    }
}
