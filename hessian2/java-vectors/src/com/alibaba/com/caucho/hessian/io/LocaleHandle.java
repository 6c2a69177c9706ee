// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
//
// Test harness class: same name and fields as Dubbo's hessian-lite handle of the same name,
// so that Caucho Hessian writes (and reads) what hessian-lite does. Written for oxidubbo.
package com.alibaba.com.caucho.hessian.io;

import java.io.Serializable;
import java.util.Locale;

/** A java.util.Locale on the wire: its toString() form. */
public class LocaleHandle implements Serializable {
    private String value;

    public LocaleHandle(String value) {
        this.value = value;
    }

    private Object readResolve() {
        if (value == null) {
            return null;
        }
        // language[_country[_variant]][_#script], as Locale.toString() writes it
        String[] baseAndScript = value.split("_#", 2);
        String[] parts = baseAndScript[0].split("_", 3);
        Locale.Builder b = new Locale.Builder();
        b.setLanguage(parts[0]);
        if (parts.length > 1) {
            b.setRegion(parts[1]);
        }
        if (parts.length > 2) {
            b.setVariant(parts[2]);
        }
        if (baseAndScript.length > 1) {
            b.setScript(baseAndScript[1]);
        }
        return b.build();
    }
}
