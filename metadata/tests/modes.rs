//! `register-mode`, the migration step and `metadata-type`, with Dubbo Java's names, defaults
//! and the `APPLICATION_FIRST` choice (`DefaultMigrationAddressComparator`).

use oxidubbo_metadata::{MetadataStorageType, MigrationStep, RegisterMode, prefer_application};

#[test]
fn register_mode_defaults_to_all_and_parses_dubbos_names() {
    assert_eq!(RegisterMode::default(), RegisterMode::All);
    assert_eq!(
        "interface".parse::<RegisterMode>().expect("valid"),
        RegisterMode::Interface
    );
    assert_eq!(
        "Instance".parse::<RegisterMode>().expect("valid"),
        RegisterMode::Instance
    );
    assert_eq!(
        " ALL ".parse::<RegisterMode>().expect("valid"),
        RegisterMode::All
    );
    let err = "both".parse::<RegisterMode>().expect_err("unknown");
    assert!(err.to_string().contains("both"), "{err}");
    assert!(RegisterMode::All.registers_interface() && RegisterMode::All.registers_instance());
    assert!(!RegisterMode::Interface.registers_instance());
    assert!(!RegisterMode::Instance.registers_interface());
    assert_eq!(RegisterMode::Instance.to_string(), "instance");
}

#[test]
fn migration_step_defaults_to_application_first() {
    assert_eq!(MigrationStep::default(), MigrationStep::ApplicationFirst);
    for (text, step) in [
        ("FORCE_INTERFACE", MigrationStep::ForceInterface),
        ("APPLICATION_FIRST", MigrationStep::ApplicationFirst),
        ("force_application", MigrationStep::ForceApplication),
    ] {
        assert_eq!(text.parse::<MigrationStep>().expect("valid"), step);
        assert!(step.to_string().eq_ignore_ascii_case(text));
    }
    assert!("APPLICATION".parse::<MigrationStep>().is_err());
}

#[test]
fn application_first_prefers_instances_when_there_are_any() {
    assert!(
        !prefer_application(0, 3, 0.0),
        "no instance: interface level"
    );
    assert!(
        prefer_application(1, 0, 0.0),
        "no interface provider: application level"
    );
    assert!(
        prefer_application(1, 5, 0.0),
        "Dubbo's default threshold 0: any instance wins"
    );
    assert!(!prefer_application(0, 0, 0.0));
    assert!(!prefer_application(1, 4, 0.5), "1/4 < 0.5");
    assert!(prefer_application(2, 4, 0.5), "2/4 >= 0.5");
    assert!(
        prefer_application(1, 4, -1.0),
        "a negative threshold counts as 0"
    );
    assert!(prefer_application(1, 4, f32::NAN), "so does NaN");
}

#[test]
fn storage_type_defaults_to_local() {
    assert_eq!(MetadataStorageType::default(), MetadataStorageType::Local);
    assert_eq!(
        "remote".parse::<MetadataStorageType>().expect("valid"),
        MetadataStorageType::Remote
    );
    assert!(
        "REMOTE".parse::<MetadataStorageType>().is_err(),
        "a configuration value is exact"
    );
    assert_eq!(
        MetadataStorageType::of_instance(None),
        MetadataStorageType::Local
    );
    assert_eq!(
        MetadataStorageType::of_instance(Some("remote")),
        MetadataStorageType::Remote
    );
    assert_eq!(
        MetadataStorageType::of_instance(Some("odd")),
        MetadataStorageType::Local,
        "Java: not remote means local"
    );
}
