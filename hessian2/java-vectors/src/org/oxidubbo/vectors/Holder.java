// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
package org.oxidubbo.vectors;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/** Nil vs empty: reference fields that are null or empty. */
public class Holder implements Serializable {
    String text;
    List<String> list;
    Map<String, Object> map;

    Holder(String text, List<String> list, Map<String, Object> map) {
        this.text = text;
        this.list = list;
        this.map = map;
    }

    @Override
    public String toString() {
        return "Holder{text=" + Vectors.quote(text) + ", list=" + list + ", map=" + map + "}";
    }
}
