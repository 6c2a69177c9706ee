// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
//
// Test harness class: same name and fields as Dubbo's hessian-lite handle of the same name,
// so that Caucho Hessian writes (and reads) what hessian-lite does. Written for oxidubbo.
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.*;

public class LocalTimeHandle implements Serializable {
    private int hour;
    private int minute;
    private int second;
    private int nano;

    public LocalTimeHandle(Object o) {
        LocalTime t = (LocalTime) o;
        hour = t.getHour();
        minute = t.getMinute();
        second = t.getSecond();
        nano = t.getNano();
    }

    private Object readResolve() {
        return LocalTime.of(hour, minute, second, nano);
    }
}
