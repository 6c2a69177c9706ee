// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
//
// Test harness class: same name and fields as Dubbo's hessian-lite handle of the same name,
// so that Caucho Hessian writes (and reads) what hessian-lite does. Written for oxidubbo.
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.*;

public class ZonedDateTimeHandle implements Serializable {
    private LocalDateTime dateTime;
    private ZoneOffset offset;
    private String zoneId;

    public ZonedDateTimeHandle(Object o) {
        ZonedDateTime z = (ZonedDateTime) o;
        dateTime = z.toLocalDateTime();
        offset = z.getOffset();
        zoneId = z.getZone().getId();
    }

    private Object readResolve() {
        return ZonedDateTime.ofLocal(dateTime, ZoneId.of(zoneId), offset);
    }
}
