// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
package org.oxidubbo.vectors;

/** A Java enum for the vectors. */
public enum Color {
    RED,
    GREEN,
    BLUE
}
