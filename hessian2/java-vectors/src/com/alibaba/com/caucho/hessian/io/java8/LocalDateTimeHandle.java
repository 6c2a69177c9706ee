// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
//
// Test harness class: same name and fields as Dubbo's hessian-lite handle of the same name,
// so that Caucho Hessian writes (and reads) what hessian-lite does. Written for oxidubbo.
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.*;

public class LocalDateTimeHandle implements Serializable {
    private LocalDate date;
    private LocalTime time;

    public LocalDateTimeHandle(Object o) {
        LocalDateTime dt = (LocalDateTime) o;
        date = dt.toLocalDate();
        time = dt.toLocalTime();
    }

    private Object readResolve() {
        return LocalDateTime.of(date, time);
    }
}
