// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
//
// Test harness class: same name and fields as Dubbo's hessian-lite handle of the same name,
// so that Caucho Hessian writes (and reads) what hessian-lite does. Written for oxidubbo.
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.*;

public class OffsetTimeHandle implements Serializable {
    private LocalTime localTime;
    private ZoneOffset zoneOffset;

    public OffsetTimeHandle(Object o) {
        OffsetTime t = (OffsetTime) o;
        localTime = t.toLocalTime();
        zoneOffset = t.getOffset();
    }

    private Object readResolve() {
        return OffsetTime.of(localTime, zoneOffset);
    }
}
