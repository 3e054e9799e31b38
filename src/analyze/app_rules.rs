//! The flow table's application questions ([`AppHook`]) answered by the
//! application stage's rules ([`crate::app::interactive`]): the one place
//! the two meet, so `flow` never imports `app` and `app` knows no flow
//! table. A leaf of `analyze/`.

use crate::app::interactive;
use crate::flow::AppHook;

/// The analyzer's application knowledge for the flow table.
#[derive(Debug)]
pub struct AppRules;

/// The instance every analysis hands its flow table.
pub static APP_RULES: AppRules = AppRules;

impl AppHook for AppRules {
    fn interactive_port(&self, service_port: u16) -> bool {
        interactive::interactive_port(service_port)
    }

    fn greeting(&self, opening: &[u8]) -> bool {
        interactive::greeting(opening)
    }

    fn opening(&self, payload: &[u8]) -> &'static [u8] {
        interactive::opening(payload)
    }
}
