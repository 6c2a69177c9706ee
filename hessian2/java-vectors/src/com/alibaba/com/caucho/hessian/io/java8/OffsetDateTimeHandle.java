// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
//
// Test harness class: same name and fields as Dubbo's hessian-lite handle of the same name,
// so that Caucho Hessian writes (and reads) what hessian-lite does. Written for oxidubbo.
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.*;

public class OffsetDateTimeHandle implements Serializable {
    private LocalDateTime dateTime;
    private ZoneOffset offset;

    public OffsetDateTimeHandle(Object o) {
        OffsetDateTime z = (OffsetDateTime) o;
        dateTime = z.toLocalDateTime();
        offset = z.getOffset();
    }

    private Object readResolve() {
        return OffsetDateTime.of(dateTime, offset);
    }
}
