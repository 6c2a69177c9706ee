// Licensed under the Apache License, Version 2.0 (the oxidubbo project's licence).
package org.oxidubbo.vectors;

import com.alibaba.com.caucho.hessian.io.LocaleHandle;
import com.alibaba.com.caucho.hessian.io.java8.DurationHandle;
import com.alibaba.com.caucho.hessian.io.java8.InstantHandle;
import com.alibaba.com.caucho.hessian.io.java8.LocalDateHandle;
import com.alibaba.com.caucho.hessian.io.java8.LocalDateTimeHandle;
import com.alibaba.com.caucho.hessian.io.java8.LocalTimeHandle;
import com.alibaba.com.caucho.hessian.io.java8.MonthDayHandle;
import com.alibaba.com.caucho.hessian.io.java8.OffsetDateTimeHandle;
import com.alibaba.com.caucho.hessian.io.java8.OffsetTimeHandle;
import com.alibaba.com.caucho.hessian.io.java8.PeriodHandle;
import com.alibaba.com.caucho.hessian.io.java8.YearHandle;
import com.alibaba.com.caucho.hessian.io.java8.YearMonthHandle;
import com.alibaba.com.caucho.hessian.io.java8.ZoneIdHandle;
import com.alibaba.com.caucho.hessian.io.java8.ZoneOffsetHandle;
import com.alibaba.com.caucho.hessian.io.java8.ZonedDateTimeHandle;
import com.caucho.hessian.io.AbstractDeserializer;
import com.caucho.hessian.io.AbstractHessianInput;
import com.caucho.hessian.io.AbstractHessianOutput;
import com.caucho.hessian.io.AbstractSerializer;
import com.caucho.hessian.io.AbstractSerializerFactory;
import com.caucho.hessian.io.AbstractStringValueDeserializer;
import com.caucho.hessian.io.Deserializer;
import com.caucho.hessian.io.Serializer;
import com.caucho.hessian.io.StringValueDeserializer;
import com.caucho.hessian.io.StringValueSerializer;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.math.BigInteger;
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
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Function;

/**
 * Makes Caucho's Hessian2Output choose what Dubbo's hessian-lite chooses for the types the
 * vectors cover (hessian-lite's META-INF/dubbo/hessian/serializers and its default object
 * serializer), so the bytes are hessian-lite's:
 *
 * <ul>
 *   <li>BigDecimal and UUID: an object with one field {@code value}, their toString();
 *   <li>Locale and the java.time types: the hessian-lite handle objects (same class names and
 *       fields as hessian-lite's, defined in this harness);
 *   <li>other objects (POJOs, handles, BigInteger): their fields in hessian-lite's order —
 *       primitive and java.lang fields, then the others, the whole list reversed (Caucho
 *       4.0.38 writes the same groups in declaration order, unreversed).
 * </ul>
 *
 * Reading goes the other way for BigDecimal, UUID and BigInteger.
 */
public class LiteSerializerFactory extends AbstractSerializerFactory {
    @Override
    public Serializer getSerializer(Class cl) {
        if (cl == BigDecimal.class || cl == UUID.class) {
            return StringValueSerializer.SER;
        }
        if (cl == Locale.class) {
            return handle(o -> new LocaleHandle(o.toString()));
        }
        if (cl == LocalDate.class) {
            return handle(LocalDateHandle::new);
        }
        if (cl == LocalTime.class) {
            return handle(LocalTimeHandle::new);
        }
        if (cl == LocalDateTime.class) {
            return handle(LocalDateTimeHandle::new);
        }
        if (cl == Instant.class) {
            return handle(InstantHandle::new);
        }
        if (cl == Duration.class) {
            return handle(DurationHandle::new);
        }
        if (cl == ZoneOffset.class) {
            return handle(ZoneOffsetHandle::new);
        }
        if (cl == ZonedDateTime.class) {
            return handle(ZonedDateTimeHandle::new);
        }
        if (cl == OffsetDateTime.class) {
            return handle(OffsetDateTimeHandle::new);
        }
        if (cl == OffsetTime.class) {
            return handle(OffsetTimeHandle::new);
        }
        if (cl == Year.class) {
            return handle(YearHandle::new);
        }
        if (cl == YearMonth.class) {
            return handle(YearMonthHandle::new);
        }
        if (cl == MonthDay.class) {
            return handle(MonthDayHandle::new);
        }
        if (cl == Period.class) {
            return handle(PeriodHandle::new);
        }
        if (ZoneId.class.isAssignableFrom(cl)) {
            // a region such as Europe/Paris (ZoneOffset, a ZoneId too, is handled above)
            return handle(ZoneIdHandle::new);
        }
        if (cl == BigInteger.class
                || cl.getName().startsWith("org.oxidubbo.vectors.")
                || cl.getName().startsWith("com.alibaba.com.caucho.hessian.io.")) {
            return cl.isEnum() ? null : new FieldsSerializer(cl);
        }
        return null;
    }

    @Override
    public Deserializer getDeserializer(Class cl) {
        if (cl == BigDecimal.class) {
            return new StringValueDeserializer(BigDecimal.class);
        }
        if (cl == UUID.class) {
            return new AbstractStringValueDeserializer() {
                @Override
                public Class getType() {
                    return UUID.class;
                }

                @Override
                protected Object create(String value) {
                    return UUID.fromString(value);
                }
            };
        }
        if (cl == BigInteger.class) {
            return new BigIntegerDeserializer();
        }
        return null;
    }

    /** Writes the handle that {@code toHandle} makes in place of the value. */
    private static Serializer handle(Function<Object, Object> toHandle) {
        return new AbstractSerializer() {
            @Override
            public void writeObject(Object obj, AbstractHessianOutput out) throws IOException {
                out.writeObject(toHandle.apply(obj));
            }
        };
    }

    /** An object's fields in hessian-lite's order. */
    static final class FieldsSerializer extends AbstractSerializer {
        private final Field[] fields;

        FieldsSerializer(Class<?> cl) {
            List<Field> primitive = new ArrayList<>();
            List<Field> compound = new ArrayList<>();
            for (Class<?> c = cl; c != null; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    int m = f.getModifiers();
                    if (Modifier.isTransient(m) || Modifier.isStatic(m)) {
                        continue;
                    }
                    f.setAccessible(true);
                    String type = f.getType().getName();
                    if (f.getType().isPrimitive()
                            || (type.startsWith("java.lang.") && f.getType() != Object.class)) {
                        primitive.add(f);
                    } else {
                        compound.add(f);
                    }
                }
            }
            List<Field> all = new ArrayList<>(primitive);
            all.addAll(compound);
            Collections.reverse(all);
            fields = all.toArray(new Field[0]);
        }

        @Override
        public void writeObject(Object obj, AbstractHessianOutput out) throws IOException {
            if (out.addRef(obj)) {
                return;
            }
            String type = obj.getClass().getName();
            int ref = out.writeObjectBegin(type);
            if (ref == -1) {
                out.writeInt(fields.length);
                for (Field f : fields) {
                    out.writeString(f.getName());
                }
                out.writeObjectBegin(type);
            }
            try {
                for (Field f : fields) {
                    out.writeObject(f.get(obj));
                }
            } catch (IllegalAccessException e) {
                throw new IOException(e);
            }
        }
    }

    /** A BigInteger from its {@code signum} and {@code mag} fields (others ignored). */
    static final class BigIntegerDeserializer extends AbstractDeserializer {
        @Override
        public Class getType() {
            return BigInteger.class;
        }

        @Override
        public Object readObject(AbstractHessianInput in, String[] fieldNames) throws IOException {
            return read(in, fieldNames);
        }

        @Override
        public Object readObject(AbstractHessianInput in, Object[] fieldNames) throws IOException {
            return read(in, fieldNames);
        }

        private static Object read(AbstractHessianInput in, Object[] fieldNames) throws IOException {
            int signum = 0;
            int[] mag = new int[0];
            int ref = in.addRef(null);
            for (Object name : fieldNames) {
                Object v = in.readObject();
                if ("signum".equals(name)) {
                    signum = ((Number) v).intValue();
                } else if ("mag".equals(name)) {
                    mag = (int[]) v;
                }
            }
            byte[] bytes = new byte[mag.length * 4];
            for (int i = 0; i < mag.length; i++) {
                bytes[4 * i] = (byte) (mag[i] >>> 24);
                bytes[4 * i + 1] = (byte) (mag[i] >>> 16);
                bytes[4 * i + 2] = (byte) (mag[i] >>> 8);
                bytes[4 * i + 3] = (byte) mag[i];
            }
            BigInteger value = new BigInteger(signum, bytes);
            in.setRef(ref, value);
            return value;
        }
    }
}
