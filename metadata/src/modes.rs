//! The provider's register mode, the consumer's migration step and the metadata storage type,
//! with Dubbo Java's names and defaults.

use std::fmt;
use std::str::FromStr;

use crate::error::MetadataError;

/// Where a provider registers (`register-mode`; `RegistryConstants.DEFAULT_REGISTER_MODE_*`).
///
/// Dubbo Java's default for an ordinary registry is [`RegisterMode::All`]
/// (`ConfigValidationUtils.genCompatibleRegistries`). dubbo-go's equivalent is the registry's
/// `registry-type` (`interface`, `service`, `all`), whose default is application level only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RegisterMode {
    /// Interface-level nodes only (`/dubbo/<interface>/providers/…`).
    Interface,
    /// The application instance only (`/services/<app>/<host>:<port>`).
    Instance,
    /// Both.
    #[default]
    All,
}

impl RegisterMode {
    /// Dubbo's name: `interface`, `instance` or `all`.
    pub fn as_str(self) -> &'static str {
        match self {
            RegisterMode::Interface => "interface",
            RegisterMode::Instance => "instance",
            RegisterMode::All => "all",
        }
    }

    /// Whether interface-level nodes are written.
    pub fn registers_interface(self) -> bool {
        matches!(self, RegisterMode::Interface | RegisterMode::All)
    }

    /// Whether the application instance is written.
    pub fn registers_instance(self) -> bool {
        matches!(self, RegisterMode::Instance | RegisterMode::All)
    }
}

impl FromStr for RegisterMode {
    type Err = MetadataError;

    /// Case-insensitive, as Java compares it (`equalsIgnoreCase`). Java silently falls back to
    /// `interface` on an unknown value; this is an error instead, so a typo is seen.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            RegisterMode::Interface,
            RegisterMode::Instance,
            RegisterMode::All,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| {
            MetadataError::invalid(
                "register-mode",
                format!("{s:?} is none of interface, instance, all"),
            )
        })
    }
}

impl fmt::Display for RegisterMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a consumer chooses between interface-level and application-level addresses
/// (`org.apache.dubbo.registry.client.migration.model.MigrationStep`).
///
/// Dubbo Java's default is [`MigrationStep::ApplicationFirst`] (`MigrationRule.getStep`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MigrationStep {
    /// Interface-level addresses only.
    ForceInterface,
    /// Application-level addresses when there are any (see [`prefer_application`]), else
    /// interface-level ones.
    #[default]
    ApplicationFirst,
    /// Application-level addresses only.
    ForceApplication,
}

impl MigrationStep {
    /// Dubbo's name: `FORCE_INTERFACE`, `APPLICATION_FIRST` or `FORCE_APPLICATION`.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationStep::ForceInterface => "FORCE_INTERFACE",
            MigrationStep::ApplicationFirst => "APPLICATION_FIRST",
            MigrationStep::ForceApplication => "FORCE_APPLICATION",
        }
    }
}

impl FromStr for MigrationStep {
    type Err = MetadataError;

    /// Dubbo's names. Java takes them exactly (`Enum.valueOf`); case is ignored here.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            MigrationStep::ForceInterface,
            MigrationStep::ApplicationFirst,
            MigrationStep::ForceApplication,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| {
            MetadataError::invalid(
                "migration step",
                format!("{s:?} is none of FORCE_INTERFACE, APPLICATION_FIRST, FORCE_APPLICATION"),
            )
        })
    }
}

impl fmt::Display for MigrationStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `APPLICATION_FIRST` uses the application-level addresses, given how many there are
/// of each kind and the threshold (Java's `DefaultMigrationAddressComparator.shouldMigrate`):
/// none at application level → no; none at interface level → yes; otherwise yes when
/// `application / interface >= threshold`. Dubbo's default threshold is `0`, so any
/// application-level address wins. A negative or non-finite threshold counts as `0`, as
/// Java falls back to the default for a negative rule threshold.
pub fn prefer_application(application: usize, interface: usize, threshold: f32) -> bool {
    if application == 0 {
        return false;
    }
    if interface == 0 {
        return true;
    }
    let threshold = if threshold.is_finite() && threshold >= 0.0 {
        threshold
    } else {
        0.0
    };
    #[allow(clippy::cast_precision_loss)]
    let ratio = application as f32 / interface as f32;
    ratio >= threshold
}

/// Where an instance's `MetadataInfo` is kept (`dubbo.metadata.storage-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetadataStorageType {
    /// Served by the instance's own `MetadataService` (Dubbo's default).
    #[default]
    Local,
    /// Published to the metadata report at `/dubbo/metadata/<app>/<revision>`.
    Remote,
}

impl MetadataStorageType {
    /// `local` or `remote`.
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataStorageType::Local => "local",
            MetadataStorageType::Remote => "remote",
        }
    }

    /// How a consumer reads an instance's value: `remote` is remote, anything else (missing
    /// included) is local — Java's `REMOTE_METADATA_STORAGE_TYPE.equals(type)` test.
    pub fn of_instance(value: Option<&str>) -> Self {
        if value == Some("remote") {
            MetadataStorageType::Remote
        } else {
            MetadataStorageType::Local
        }
    }
}

impl FromStr for MetadataStorageType {
    type Err = MetadataError;

    /// Exactly `local` or `remote` (a configuration value; see
    /// [`MetadataStorageType::of_instance`] for reading peers).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "local" => Ok(MetadataStorageType::Local),
            "remote" => Ok(MetadataStorageType::Remote),
            other => Err(MetadataError::invalid(
                "metadata-type",
                format!("{other:?} is neither local nor remote"),
            )),
        }
    }
}

impl fmt::Display for MetadataStorageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
