// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
//
// Test harness class: same name and fields as Dubbo's hessian-lite handle of the same name,
// so that Caucho Hessian writes (and reads) what hessian-lite does. Written for oxidubbo.
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.*;

public class YearMonthHandle implements Serializable {
    private int year;
    private int month;

    public YearMonthHandle(Object o) {
        YearMonth ym = (YearMonth) o;
        year = ym.getYear();
        month = ym.getMonthValue();
    }

    private Object readResolve() {
        return YearMonth.of(year, month);
    }
}
