//! `ccstore_store_errors_total{kind}`: session-store calls that failed or ran out of time. The
//! Redis store, which alone knows, counts them in plain atomics ([`StoreFailures`]); this
//! collector reads them at each scrape, so the store does not depend on the metrics.

use std::collections::HashMap;
use std::sync::Arc;

use ccstore_core::StoreFailures;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounterVec, Opts};

use super::valid;

const NAME: &str = "ccstore_store_errors_total";
const HELP: &str = "Session store calls that failed (kind=error) or ran out of time (kind=timeout); \
                    each is answered 503.";

/// The collector of a store's failure counts (all zero for the in-process store).
#[derive(Debug)]
pub(crate) struct StoreFailureCounts {
    desc: Desc,
    failures: Arc<StoreFailures>,
}

impl StoreFailureCounts {
    pub(crate) fn new(failures: Arc<StoreFailures>) -> Self {
        Self {
            desc: valid(Desc::new(
                NAME.to_owned(),
                HELP.to_owned(),
                vec!["kind".to_owned()],
                HashMap::new(),
            )),
            failures,
        }
    }
}

impl Collector for StoreFailureCounts {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let family = valid(IntCounterVec::new(Opts::new(NAME, HELP), &["kind"]));
        family
            .with_label_values(&["error"])
            .inc_by(self.failures.errors());
        family
            .with_label_values(&["timeout"])
            .inc_by(self.failures.timeouts());
        family.collect()
    }
}
