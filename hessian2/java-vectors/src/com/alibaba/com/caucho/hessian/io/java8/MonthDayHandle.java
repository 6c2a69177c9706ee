// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
//
// Test harness class: same name and fields as Dubbo's hessian-lite handle of the same name,
// so that Caucho Hessian writes (and reads) what hessian-lite does. Written for oxidubbo.
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.*;

public class MonthDayHandle implements Serializable {
    private int month;
    private int day;

    public MonthDayHandle(Object o) {
        MonthDay md = (MonthDay) o;
        month = md.getMonthValue();
        day = md.getDayOfMonth();
    }

    private Object readResolve() {
        return MonthDay.of(month, day);
    }
}
