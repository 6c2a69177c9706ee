// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
//
// Test harness class: same name and fields as Dubbo's hessian-lite handle of the same name,
// so that Caucho Hessian writes (and reads) what hessian-lite does. Written for oxidubbo.
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.*;

public class PeriodHandle implements Serializable {
    private int years;
    private int months;
    private int days;

    public PeriodHandle(Object o) {
        Period p = (Period) o;
        years = p.getYears();
        months = p.getMonths();
        days = p.getDays();
    }

    private Object readResolve() {
        return Period.of(years, months, days);
    }
}
