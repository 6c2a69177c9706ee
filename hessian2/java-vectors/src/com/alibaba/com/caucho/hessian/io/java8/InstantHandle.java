// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
//
// Test harness class: same name and fields as Dubbo's hessian-lite handle of the same name,
// so that Caucho Hessian writes (and reads) what hessian-lite does. Written for oxidubbo.
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.*;

public class InstantHandle implements Serializable {
    private long seconds;
    private int nanos;

    public InstantHandle(Object o) {
        Instant i = (Instant) o;
        seconds = i.getEpochSecond();
        nanos = i.getNano();
    }

    private Object readResolve() {
        return Instant.ofEpochSecond(seconds, nanos);
    }
}
