// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
package org.oxidubbo.vectors;

import com.caucho.hessian.io.Hessian2Input;
import com.caucho.hessian.io.Hessian2Output;
import com.caucho.hessian.io.SerializerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.MonthDay;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.Period;
import java.time.Year;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The Java side of oxidubbo-hessian2's type vectors.
 *
 * <pre>
 *   Vectors write DIR        writes every vector to DIR/NAME.bin
 *   Vectors read FILE...     reads each file as one Hessian value and prints one line per file:
 *                            the value's Java class and its text (see describe)
 * </pre>
 *
 * Values go through Caucho's Hessian2Output with {@link LiteSerializerFactory}, which makes
 * the choices Dubbo's hessian-lite makes; vectors named {@code caucho_*} use Caucho's own.
 */
public final class Vectors {
    private Vectors() {}

    /** The vectors: name, value, and whether Caucho's own serializers write it. */
    static Map<String, Object> vectors() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("big_decimal", new BigDecimal("12345678901234567890.0012300"));
        v.put("big_decimal_exp", new BigDecimal("-1.5E-7"));
        v.put("big_integer", new BigInteger("-123456789012345678901234567890"));
        v.put("big_integer_zero", BigInteger.ZERO);
        v.put("date", new Date(894621091000L));
        v.put("sql_date", java.sql.Date.valueOf("2024-02-29"));
        v.put("sql_time", java.sql.Time.valueOf("23:59:58"));
        v.put("sql_timestamp", new java.sql.Timestamp(1700000000123L));
        v.put("local_date", LocalDate.of(2024, 2, 29));
        v.put("local_time", LocalTime.of(23, 59, 58, 123456789));
        v.put("local_date_time", LocalDateTime.of(1999, 12, 31, 23, 59, 59, 1));
        v.put("instant", Instant.ofEpochSecond(1700000000L, 123456789));
        v.put("instant_before_epoch", Instant.ofEpochSecond(-1L, 500));
        v.put("duration", Duration.ofSeconds(-90061L, 5));
        v.put("zone_offset", ZoneOffset.ofHoursMinutes(5, 30));
        v.put("zoned_date_time",
            ZonedDateTime.of(2024, 6, 1, 12, 0, 0, 0, ZoneId.of("Europe/Paris")));
        v.put("offset_date_time", OffsetDateTime.of(2024, 6, 1, 12, 0, 0, 0, ZoneOffset.ofHours(-3)));
        v.put("offset_time", OffsetTime.of(7, 30, 15, 500_000_000, ZoneOffset.ofHours(9)));
        v.put("year", Year.of(-44));
        v.put("year_month", YearMonth.of(2024, 2));
        v.put("month_day", MonthDay.of(2, 29));
        v.put("period", Period.of(1, -2, 30));
        v.put("zone_id", ZoneId.of("America/New_York"));
        v.put("locale", Locale.SIMPLIFIED_CHINESE);
        v.put("locale_script",
            new Locale.Builder().setLanguage("zh").setRegion("TW").setScript("Hant").build());
        v.put("uuid", UUID.fromString("123e4567-e89b-12d3-a456-426614174000"));
        v.put("caucho_uuid", UUID.fromString("123e4567-e89b-12d3-a456-426614174000"));
        v.put("enum", Color.GREEN);
        v.put("enum_list", new ArrayList<>(List.of(Color.RED, Color.BLUE, Color.RED)));
        v.put("int_array", new int[] {1, -2, 300000, Integer.MIN_VALUE});
        v.put("long_array", new long[] {0L, -1L, Long.MAX_VALUE});
        v.put("short_array", new short[] {1, Short.MIN_VALUE});
        v.put("byte_array", new byte[] {1, 2, -1});
        v.put("boolean_array", new boolean[] {true, false});
        v.put("double_array", new double[] {1.5, -0.25, 1e300});
        v.put("float_array", new float[] {1.5f, 0.1f});
        v.put("char_array", new char[] {'h', 'i'});
        v.put("string_array", new String[] {"a", null, ""});
        v.put("object_array", new Object[] {1, "x", null});
        v.put("empty_int_array", new int[0]);
        v.put("null", null);
        v.put("empty_string", "");
        v.put("empty_list", new ArrayList<>());
        v.put("empty_map", new HashMap<>());
        v.put("holder_nulls", new Holder(null, null, null));
        v.put("holder_empty", new Holder("", new ArrayList<>(), new HashMap<>()));
        v.put("pojo_map", pojoMap());
        v.put("linked_map", linkedMap());
        v.put("generic_pojo_map", genericPojoMap());
        v.put("user", user());
        return v;
    }

    static Map<String, Object> pojoMap() {
        Map<String, Object> nested = new HashMap<>();
        nested.put("k", null);
        Map<String, Object> m = new HashMap<>();
        m.put("name", "ann");
        m.put("age", 30);
        m.put("score", 1.5);
        m.put("id", 7L);
        m.put("tags", new ArrayList<>(List.of("a", "b")));
        m.put("nested", nested);
        return m;
    }

    /** A POJO as Dubbo's generic calls pass it: a map with its class under "class". */
    static Map<String, Object> genericPojoMap() {
        Map<String, Object> m = new HashMap<>();
        m.put("class", "org.oxidubbo.vectors.User");
        m.put("id", 42L);
        m.put("name", "ann");
        m.put("color", "BLUE");
        return m;
    }

    static Map<String, Object> linkedMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", 1);
        m.put("a", "two");
        return m;
    }

    static User user() {
        User u = new User();
        u.id = 42L;
        u.name = "ann";
        u.scores = new int[] {90, 85};
        u.tags = new ArrayList<>(List.of("admin"));
        Map<String, Object> attrs = new HashMap<>();
        attrs.put("level", 3);
        u.attrs = attrs;
        u.color = Color.BLUE;
        u.balance = new BigDecimal("10.50");
        u.birthday = LocalDate.of(1990, 1, 2);
        return u;
    }

    static SerializerFactory factory(boolean caucho) {
        SerializerFactory f = new SerializerFactory();
        if (!caucho) {
            f.addFactory(new LiteSerializerFactory());
        }
        return f;
    }

    static byte[] encode(Object value, boolean caucho) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Hessian2Output out = new Hessian2Output(bytes);
        out.setSerializerFactory(factory(caucho));
        out.writeObject(value);
        out.close();
        return bytes.toByteArray();
    }

    static Object decode(byte[] bytes) throws IOException {
        Hessian2Input in = new Hessian2Input(new java.io.ByteArrayInputStream(bytes));
        in.setSerializerFactory(factory(false));
        Object value = in.readObject();
        if (in.read() != -1) {
            throw new IOException("bytes after the value");
        }
        return value;
    }

    /** The value's class and text; arrays element by element, strings quoted. */
    static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v.getClass().isArray()) {
            StringBuilder sb = new StringBuilder(v.getClass().getComponentType().getName());
            sb.append("[]");
            for (int i = 0; i < Array.getLength(v); i++) {
                sb.append(i == 0 ? " " : ", ").append(text(Array.get(v, i)));
            }
            return sb.toString();
        }
        return v.getClass().getName() + " " + text(v);
    }

    static String text(Object v) {
        return v instanceof String ? quote((String) v) : String.valueOf(v);
    }

    static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("write")) {
            Path dir = Paths.get(args[1]);
            Files.createDirectories(dir);
            for (Map.Entry<String, Object> e : vectors().entrySet()) {
                boolean caucho = e.getKey().startsWith("caucho_");
                Files.write(dir.resolve(e.getKey() + ".bin"), encode(e.getValue(), caucho));
            }
        } else if (args.length >= 2 && args[0].equals("read")) {
            for (String file : Arrays.asList(args).subList(1, args.length)) {
                System.out.println(describe(decode(Files.readAllBytes(Paths.get(file)))));
            }
        } else {
            System.err.println("usage: Vectors write DIR | Vectors read FILE...");
            System.exit(2);
        }
    }
}
