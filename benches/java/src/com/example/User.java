package com.example;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/** The POJO argument of the `pojo` body of HessianBench (the fields oxidubbo's hessian-bench writes). */
public class User implements Serializable {
  private static final long serialVersionUID = 1L;

  long id;
  String name;
  List<String> tags;
  Map<String, String> attrs;
}
