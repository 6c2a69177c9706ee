// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
package org.oxidubbo.vectors;

import java.io.Serializable;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/** A POJO mixing the types of the vectors, as Go and Java services pass them. */
public class User implements Serializable {
    long id;
    String name;
    int[] scores;
    List<String> tags;
    Map<String, Object> attrs;
    Color color;
    BigDecimal balance;
    LocalDate birthday;

    @Override
    public String toString() {
        return "User{id=" + id + ", name=" + name + ", scores=" + java.util.Arrays.toString(scores)
            + ", tags=" + tags + ", attrs=" + attrs + ", color=" + color + ", balance=" + balance
            + ", birthday=" + birthday + "}";
    }
}
