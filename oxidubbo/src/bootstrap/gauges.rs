//! [`ProtocolGauges`]: what the protocols an application runs on hold, as Prometheus
//! gauges next to its RPC metrics.

use std::fmt;

use oxidubbo_metrics::prometheus_client::collector::Collector;
use oxidubbo_metrics::prometheus_client::encoding::DescriptorEncoder;
use oxidubbo_metrics::prometheus_client::metrics::MetricType;
use oxidubbo_protocol::{ProtocolCounts, TripleProtocol};

use super::DubboHandle;

/// `dubbo_protocol_{exporters,invokers,servers,connections}{protocol="dubbo"|"tri"}`: the
/// counts of the application's dubbo protocol (its own, or the process-wide one it shares)
/// and of the process-wide Triple protocol, read at each scrape.
pub(crate) struct ProtocolGauges {
    pub(crate) dubbo: DubboHandle,
}

impl fmt::Debug for ProtocolGauges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProtocolGauges").finish_non_exhaustive()
    }
}

type Read = fn(&ProtocolCounts) -> usize;

const FAMILIES: [(&str, &str, Read); 4] = [
    ("dubbo_protocol_exporters", "Services exported", |c| {
        c.exporters
    }),
    (
        "dubbo_protocol_invokers",
        "Invokers referred and not destroyed",
        |c| c.invokers,
    ),
    ("dubbo_protocol_servers", "Servers listening", |c| c.servers),
    (
        "dubbo_protocol_connections",
        "Client connections open",
        |c| c.connections,
    ),
];

impl Collector for ProtocolGauges {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), fmt::Error> {
        let counts = [
            (
                oxidubbo_common::values::DUBBO_PROTOCOL,
                self.dubbo.get().counts(),
            ),
            (
                oxidubbo_common::values::TRI_PROTOCOL,
                TripleProtocol::global().counts(),
            ),
        ];
        for (name, help, read) in FAMILIES {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for (protocol, counts) in &counts {
                let labels = [("protocol", *protocol)];
                let value = i64::try_from(read(counts)).unwrap_or(i64::MAX);
                family.encode_family(&labels)?.encode_gauge(&value)?;
            }
        }
        Ok(())
    }
}
