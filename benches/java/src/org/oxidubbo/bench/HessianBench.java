package org.oxidubbo.bench;

import com.caucho.hessian.io.Hessian2Input;
import com.caucho.hessian.io.Hessian2Output;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Caucho Hessian on the dubbo2 request bodies of oxidubbo's hessian-bench (the Java half of
 * scripts/bench-hessian-java.sh). Usage: HessianBench WARMUP_S SECONDS ROUNDS BODY.bin...
 *
 * <p>decode: one Hessian2Input (re-initialised per body, as Dubbo's hessian2 serialization
 * does) reads the body's values with readObject; encode: one Hessian2Output (re-initialised
 * per body) writes them back with writeObject into a reset ByteArrayOutputStream. After
 * WARMUP_S seconds of both, each of ROUNDS rounds measures each case for SECONDS and prints
 * "case=NAME/OP ns_per_op=N", as the Rust side does.
 */
public final class HessianBench {
  private static final int BATCH = 1000;
  /** Where results go so that the JIT cannot drop the work. */
  static volatile Object sink;

  private final byte[] body;
  private final int count;
  private final Object[] values;
  private final Hessian2Input in = new Hessian2Input(null);
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
  private final Hessian2Output out = new Hessian2Output(null);

  private HessianBench(byte[] body) throws Exception {
    this.body = body;
    Hessian2Input first = new Hessian2Input(new ByteArrayInputStream(body));
    List<Object> read = new ArrayList<>();
    while (!first.isEnd()) {
      read.add(first.readObject());
    }
    this.count = read.size();
    this.values = read.toArray();
    encode();
    System.out.println("body bytes=" + body.length + " values=" + count
        + " java_reencoded_bytes=" + bytes.size());
  }

  private void decode() throws Exception {
    in.init(new ByteArrayInputStream(body));
    for (int i = 0; i < count; i++) {
      values[i] = in.readObject();
    }
    in.reset();
  }

  private void encode() throws Exception {
    bytes.reset();
    out.init(bytes);
    for (int i = 0; i < count; i++) {
      out.writeObject(values[i]);
    }
    out.flush();
  }

  interface Op {
    void run() throws Exception;
  }

  private static double measure(long nanos, Op op) throws Exception {
    long start = System.nanoTime();
    long n = 0;
    while (System.nanoTime() - start < nanos) {
      for (int i = 0; i < BATCH; i++) {
        op.run();
      }
      n += BATCH;
    }
    return (double) (System.nanoTime() - start) / n;
  }

  public static void main(String[] args) throws Exception {
    double warmup = Double.parseDouble(args[0]);
    double seconds = Double.parseDouble(args[1]);
    int rounds = Integer.parseInt(args[2]);
    List<String> names = new ArrayList<>();
    List<HessianBench> benches = new ArrayList<>();
    for (int i = 3; i < args.length; i++) {
      Path path = Path.of(args[i]);
      names.add(path.getFileName().toString().replaceFirst("\\.bin$", ""));
      benches.add(new HessianBench(Files.readAllBytes(path)));
    }
    long warm = (long) (warmup * 1e9 / (2 * benches.size()));
    long time = (long) (seconds * 1e9);
    for (int round = 0; round <= rounds; round++) {
      for (int b = 0; b < benches.size(); b++) {
        HessianBench bench = benches.get(b);
        long t = round == 0 ? warm : time;
        double d = measure(t, bench::decode);
        double e = measure(t, bench::encode);
        sink = bench.values[0];
        sink = bench.bytes;
        if (round > 0) {
          System.out.printf("case=%s/decode ns_per_op=%.1f%n", names.get(b), d);
          System.out.printf("case=%s/encode ns_per_op=%.1f%n", names.get(b), e);
        }
      }
    }
  }
}
