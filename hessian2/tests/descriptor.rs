//! Java descriptors: `JavaType` mappings, joining, splitting and name conversions.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use oxidubbo_hessian2::descriptor::{
    GENERIC_PARAMETER_DESC, class_name_to_descriptor, descriptor_to_class_name, method_descriptor,
    parameters, parse_descriptor,
};
use oxidubbo_hessian2::{Binary, Date, JavaType, Value, java_type};
use proptest::prelude::*;

struct User;
struct Order;
java_type!(User => "com.example.User", Order => "com.example.Order",);

fn check<T: JavaType + ?Sized>(class: &str, desc: &str) {
    assert_eq!(
        T::java_class_name(),
        class,
        "class name of {}",
        std::any::type_name::<T>()
    );
    assert_eq!(
        T::descriptor(),
        desc,
        "descriptor of {}",
        std::any::type_name::<T>()
    );
    // The two forms agree with the free conversion functions.
    assert_eq!(class_name_to_descriptor(class).unwrap(), desc);
    assert_eq!(descriptor_to_class_name(desc).unwrap(), class);
}

#[test]
fn primitives() {
    check::<bool>("boolean", "Z");
    check::<i8>("byte", "B");
    check::<i16>("short", "S");
    check::<i32>("int", "I");
    check::<i64>("long", "J");
    check::<f32>("float", "F");
    check::<f64>("double", "D");
    check::<char>("char", "C");
    check::<()>("void", "V");
}

#[test]
fn reference_types() {
    check::<String>("java.lang.String", "Ljava/lang/String;");
    check::<str>("java.lang.String", "Ljava/lang/String;");
    check::<&str>("java.lang.String", "Ljava/lang/String;");
    check::<Value>("java.lang.Object", "Ljava/lang/Object;");
    check::<Date>("java.util.Date", "Ljava/util/Date;");
    check::<Binary>("[B", "[B");
    check::<Vec<i32>>("java.util.List", "Ljava/util/List;");
    check::<Vec<u8>>("java.util.List", "Ljava/util/List;");
    check::<VecDeque<String>>("java.util.List", "Ljava/util/List;");
    check::<HashSet<i64>>("java.util.Set", "Ljava/util/Set;");
    check::<BTreeSet<i64>>("java.util.Set", "Ljava/util/Set;");
    check::<HashMap<String, Value>>("java.util.Map", "Ljava/util/Map;");
    check::<BTreeMap<i32, User>>("java.util.Map", "Ljava/util/Map;");
    check::<Box<i32>>("int", "I");
    check::<Arc<String>>("java.lang.String", "Ljava/lang/String;");
}

#[test]
fn options_are_boxed() {
    check::<Option<bool>>("java.lang.Boolean", "Ljava/lang/Boolean;");
    check::<Option<i8>>("java.lang.Byte", "Ljava/lang/Byte;");
    check::<Option<i16>>("java.lang.Short", "Ljava/lang/Short;");
    check::<Option<i32>>("java.lang.Integer", "Ljava/lang/Integer;");
    check::<Option<i64>>("java.lang.Long", "Ljava/lang/Long;");
    check::<Option<f32>>("java.lang.Float", "Ljava/lang/Float;");
    check::<Option<f64>>("java.lang.Double", "Ljava/lang/Double;");
    check::<Option<char>>("java.lang.Character", "Ljava/lang/Character;");
    check::<Option<String>>("java.lang.String", "Ljava/lang/String;");
    check::<Option<Vec<i32>>>("java.util.List", "Ljava/util/List;");
    check::<Option<User>>("com.example.User", "Lcom/example/User;");
    check::<Option<[i32; 2]>>("[I", "[I");
}

#[test]
fn arrays() {
    check::<[i32; 3]>("[I", "[I");
    check::<[bool; 0]>("[Z", "[Z");
    check::<[[i64; 2]; 2]>("[[J", "[[J");
    check::<[String; 1]>("[Ljava.lang.String;", "[Ljava/lang/String;");
    check::<Box<[Value]>>("[Ljava.lang.Object;", "[Ljava/lang/Object;");
    check::<&[User]>("[Lcom.example.User;", "[Lcom/example/User;");
    check::<[Option<i32>; 1]>("[Ljava.lang.Integer;", "[Ljava/lang/Integer;");
    check::<[Binary; 1]>("[[B", "[[B");
}

#[test]
fn user_types() {
    check::<User>("com.example.User", "Lcom/example/User;");
    check::<Order>("com.example.Order", "Lcom/example/Order;");
    check::<Vec<Order>>("java.util.List", "Ljava/util/List;");
}

#[test]
fn method_descriptors() {
    assert_eq!(method_descriptor(&[]), "");
    let d = method_descriptor(&[
        &i32::descriptor(),
        &<[bool; 1]>::descriptor(),
        &Value::descriptor(),
    ]);
    assert_eq!(d, "I[ZLjava/lang/Object;");
    assert_eq!(
        method_descriptor(&[
            &String::descriptor(),
            &<[String; 0]>::descriptor(),
            &<[Value; 0]>::descriptor()
        ]),
        GENERIC_PARAMETER_DESC
    );
}

#[test]
fn parse_valid() {
    assert_eq!(parse_descriptor("").unwrap(), Vec::<&str>::new());
    assert_eq!(
        parse_descriptor("I[ZLjava/lang/Object;").unwrap(),
        ["I", "[Z", "Ljava/lang/Object;"]
    );
    assert_eq!(
        parse_descriptor(GENERIC_PARAMETER_DESC).unwrap(),
        [
            "Ljava/lang/String;",
            "[Ljava/lang/String;",
            "[Ljava/lang/Object;"
        ]
    );
    assert_eq!(
        parse_descriptor("ZBCSIJFD").unwrap(),
        ["Z", "B", "C", "S", "I", "J", "F", "D"]
    );
    assert_eq!(parse_descriptor("[[[JLa;I").unwrap(), ["[[[J", "La;", "I"]);
    assert_eq!(
        parse_descriptor("Lcom/x/Outer$Inner;J").unwrap(),
        ["Lcom/x/Outer$Inner;", "J"]
    );
    assert_eq!(
        parse_descriptor("Lcom/例え/Ü;I").unwrap(),
        ["Lcom/例え/Ü;", "I"]
    );
    let dims = "[".repeat(255) + "I";
    assert_eq!(parse_descriptor(&dims).unwrap(), [dims.as_str()]);
    for desc in ["", "I", "[[[JLa;I", GENERIC_PARAMETER_DESC, "ZBCSIJFD"] {
        let counted = parameters(desc).map(Result::unwrap).count();
        assert_eq!(counted, parse_descriptor(desc).unwrap().len(), "{desc:?}");
    }
}

#[test]
fn parse_malformed() {
    for bad in [
        "[",
        "[[",
        "I[",
        "L",
        "Ljava/lang/String",
        "L;",
        "Ljava.lang.String;",
        "Ljava/lang//String;",
        "L/java;",
        "Ljava/;",
        "La[b;",
        "V",
        "[V",
        "IV",
        "X",
        "i",
        ";",
        "I;",
        " I",
        "é",
        "[é",
        "java.lang.String",
    ] {
        let e = parse_descriptor(bad);
        assert!(e.is_err(), "{bad:?} parsed as {e:?}");
        let items: Vec<_> = parameters(bad).collect();
        assert!(
            items.last().is_some_and(Result::is_err),
            "{bad:?}: {items:?}"
        );
        assert!(e.unwrap_err().to_string().contains("descriptor"), "{bad:?}");
    }
    assert!(parse_descriptor(&("[".repeat(256) + "I")).is_err());
}

#[test]
fn class_name_conversions() {
    assert_eq!(class_name_to_descriptor("int").unwrap(), "I");
    assert_eq!(
        class_name_to_descriptor("java.lang.String").unwrap(),
        "Ljava/lang/String;"
    );
    assert_eq!(
        class_name_to_descriptor("[Ljava.lang.String;").unwrap(),
        "[Ljava/lang/String;"
    );
    assert_eq!(class_name_to_descriptor("[I").unwrap(), "[I");
    assert_eq!(class_name_to_descriptor("[[D").unwrap(), "[[D");
    assert_eq!(
        class_name_to_descriptor("Main$Color").unwrap(),
        "LMain$Color;"
    );
    // Source-style array names, as Dubbo's ReflectUtils.name2desc accepts.
    assert_eq!(class_name_to_descriptor("int[]").unwrap(), "[I");
    assert_eq!(
        class_name_to_descriptor("java.lang.String[][]").unwrap(),
        "[[Ljava/lang/String;"
    );
    for bad in [
        "",
        "[]",
        "void[]",
        "java/lang/String",
        "java..lang",
        ".a",
        "a.",
        "[",
        "[Ljava.lang.String",
        "[V",
        "a;b",
        "a[]b",
        "[L;",
    ] {
        assert!(class_name_to_descriptor(bad).is_err(), "{bad:?}");
    }

    assert_eq!(descriptor_to_class_name("V").unwrap(), "void");
    assert_eq!(descriptor_to_class_name("Z").unwrap(), "boolean");
    assert_eq!(
        descriptor_to_class_name("Ljava/util/Map;").unwrap(),
        "java.util.Map"
    );
    assert_eq!(
        descriptor_to_class_name("[Ljava/lang/String;").unwrap(),
        "[Ljava.lang.String;"
    );
    assert_eq!(descriptor_to_class_name("[[I").unwrap(), "[[I");
    for bad in [
        "",
        "II",
        "Ljava/lang/String;I",
        "java.lang.String",
        "L;",
        "[",
        "Q",
    ] {
        assert!(descriptor_to_class_name(bad).is_err(), "{bad:?}");
    }
}

fn descriptor_strategy() -> impl Strategy<Value = String> {
    let class = proptest::collection::vec("[A-Za-z_$][A-Za-z0-9_$]{0,6}", 1..4)
        .prop_map(|segs| format!("L{};", segs.join("/")));
    let element = prop_oneof![
        proptest::sample::select(vec!["Z", "B", "C", "S", "I", "J", "F", "D"])
            .prop_map(str::to_owned),
        class,
    ];
    (0usize..4, element).prop_map(|(dims, e)| "[".repeat(dims) + &e)
}

proptest! {
    #[test]
    fn parse_inverts_join(xs in proptest::collection::vec(descriptor_strategy(), 0..8)) {
        let refs: Vec<&str> = xs.iter().map(String::as_str).collect();
        let joined = method_descriptor(&refs);
        prop_assert_eq!(parse_descriptor(&joined).unwrap(), refs);
        for x in &xs {
            let name = descriptor_to_class_name(x).unwrap();
            prop_assert_eq!(&class_name_to_descriptor(&name).unwrap(), x);
        }
    }

    #[test]
    fn parse_never_panics(s in "[\\[LIJZV;/.a-c\u{e9}]{0,12}") {
        if let Ok(parts) = parse_descriptor(&s) {
            prop_assert_eq!(parts.concat(), s);
        }
    }
}
