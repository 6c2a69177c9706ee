//! The consumer's migration rule (Dubbo Java's `MigrationRule`, reduced to what a URL
//! carries): the step and the `APPLICATION_FIRST` threshold.

use oxidubbo_common::Url;
use oxidubbo_metadata::{MigrationStep, keys};

use crate::RegistryError;

/// How one subscription chooses between interface-level and application-level providers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Migration {
    pub(crate) step: MigrationStep,
    pub(crate) threshold: f32,
}

/// The value of `key` on the consumer URL, else on the registry URL (empty counts as unset).
fn setting<'a>(consumer: &'a Url, registry: &'a Url, key: &str) -> Option<&'a str> {
    [consumer, registry]
        .into_iter()
        .find_map(|u| u.param(key).map(str::trim).filter(|v| !v.is_empty()))
}

/// The rule for a subscription of `consumer` through the registry of `registry`:
/// `migration.step` and `migration.threshold` from the consumer URL, else the registry URL,
/// else Dubbo Java's defaults (`APPLICATION_FIRST`, `0`). A value that cannot be read is a
/// configuration error.
pub(crate) fn migration_of(consumer: &Url, registry: &Url) -> Result<Migration, RegistryError> {
    let step = match setting(consumer, registry, keys::MIGRATION_STEP) {
        None => MigrationStep::default(),
        Some(v) => v
            .parse()
            .map_err(|e| RegistryError::Config(format!("{}: {e}", keys::MIGRATION_STEP)))?,
    };
    let threshold = match setting(consumer, registry, keys::MIGRATION_THRESHOLD) {
        None => 0.0,
        Some(v) => v.parse::<f32>().map_err(|e| {
            RegistryError::Config(format!("{} {v:?}: {e}", keys::MIGRATION_THRESHOLD))
        })?,
    };
    Ok(Migration { step, threshold })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn the_consumer_wins_then_the_registry_then_java_s_default() {
        let reg = u("zookeeper://127.0.0.1:2181?migration.step=FORCE_INTERFACE");
        let plain = u("consumer://127.0.0.1/I");
        let own =
            u("consumer://127.0.0.1/I?migration.step=FORCE_APPLICATION&migration.threshold=0.5");
        assert_eq!(
            migration_of(&own, &reg).unwrap(),
            Migration {
                step: MigrationStep::ForceApplication,
                threshold: 0.5
            }
        );
        assert_eq!(
            migration_of(&plain, &reg).unwrap().step,
            MigrationStep::ForceInterface
        );
        let none = u("memory://127.0.0.1");
        assert_eq!(
            migration_of(&plain, &none).unwrap(),
            Migration {
                step: MigrationStep::ApplicationFirst,
                threshold: 0.0
            }
        );
        let bad = u("consumer://127.0.0.1/I?migration.step=SOMETIMES");
        assert!(matches!(
            migration_of(&bad, &none),
            Err(RegistryError::Config(_))
        ));
        let bad = u("consumer://127.0.0.1/I?migration.threshold=lots");
        assert!(matches!(
            migration_of(&bad, &none),
            Err(RegistryError::Config(_))
        ));
    }
}
