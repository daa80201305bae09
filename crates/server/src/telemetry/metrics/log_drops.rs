//! `ccstore_log_lines_dropped_total`: log lines the bounded log writer dropped because stderr did
//! not keep up. [`crate::telemetry::logging`] counts them in a plain atomic (it must not depend on the
//! metrics); this collector reads that count at each scrape.

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounter, Opts};

use super::valid;

const NAME: &str = "ccstore_log_lines_dropped_total";
const HELP: &str = "Log lines dropped because stderr did not keep up (the log writer never waits \
                    for it, and holds at most 4 MiB of lines).";

/// The collector of the dropped-lines count.
#[derive(Debug)]
pub(crate) struct LogDrops {
    desc: Desc,
}

impl Default for LogDrops {
    fn default() -> Self {
        Self {
            desc: valid(Desc::new(
                NAME.to_owned(),
                HELP.to_owned(),
                Vec::new(),
                std::collections::HashMap::new(),
            )),
        }
    }
}

impl Collector for LogDrops {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let counter = valid(IntCounter::with_opts(Opts::new(NAME, HELP)));
        counter.inc_by(crate::telemetry::logging::lines_dropped());
        counter.collect()
    }
}
