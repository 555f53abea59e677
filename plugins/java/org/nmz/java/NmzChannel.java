// SPDX-License-Identifier: Apache-2.0
package org.nmz.java;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * One connection per JVM to nmz's PB endpoint (Namazu's wire: a 4-byte
 * little-endian length, then a proto2 InspectorMsgReq / InspectorMsgRsp),
 * shared by every thread: a thread writes its request and waits for the
 * answer with its msg_id, which a reader thread hands over. Configured by
 * system properties (nmz inspectors java -print-agent-options prints
 * them), with Namazu's environment variables as fallbacks.
 */
final class NmzChannel {
  static final int FUNC_CALL = 1;
  static final int FUNC_RETURN = 2;
  private static final int TYPE_EVENT = 1;
  private static final int TYPE_INITIATION = 2;
  private static final int RES_ACK = 1;
  private static final int RES_ERROR = 2;
  private static final int RES_END = 3;
  private static final int MAX_RESPONSE_BYTES = 1 << 16;

  private static final NmzChannel INSTANCE = new NmzChannel();

  static NmzChannel instance() {
    return INSTANCE;
  }

  /** The answer to one request; RES_ACK unless nmz says otherwise in time. */
  private static final class Waiter {
    private int result;
    private boolean done;

    synchronized void complete(int res) {
      if (done) return;
      result = res;
      done = true;
      notifyAll();
    }

    synchronized int await(long timeoutMs) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
      while (!done) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return RES_ACK;
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return RES_ACK;
        }
      }
      return result;
    }
  }

  private final class Connection {
    final Socket socket;
    final OutputStream out;

    Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.out = socket.getOutputStream();
    }

    void send(byte[] frame) throws IOException {
      synchronized (out) {
        out.write(frame);
        out.flush();
      }
    }

    void close(String why) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // Closing is all that is left to do.
      }
      synchronized (connectLock) {
        if (connection == this) connection = null;
      }
      // After the socket is closed: a thread that registers later fails its send.
      for (Waiter w : waiters.values()) w.complete(RES_ACK);
      if (why != null) warn("connection to nmz lost (" + why + "): calls proceed uninspected");
    }
  }

  private final String host;
  private final int port;
  private final String entity;
  private final long timeoutMs;
  private final int stackDepth;
  private final boolean sendInitiation;
  private volatile boolean disabled;
  private final Map<Integer, Waiter> waiters = new ConcurrentHashMap<>();
  private final AtomicInteger lastMsgId = new AtomicInteger();
  private final Object connectLock = new Object();
  private volatile Connection connection;
  private long retryAfterNanos;
  private boolean warnedUnreachable;
  private final long pid = ProcessHandle.current().pid();

  private NmzChannel() {
    host = System.getProperty("nmz.pb.host", "127.0.0.1");
    port = Integer.parseInt(setting("nmz.pb.port", "NMZ_GA_TCP_PORT", "10000"));
    entity = setting("nmz.entity", "NMZ_ENV_ENTITY_ID", "_namazu_java_inspector");
    timeoutMs = Long.parseLong(System.getProperty("nmz.timeout.ms", "30000"));
    stackDepth = Integer.parseInt(System.getProperty("nmz.stack.depth", "16"));
    sendInitiation = System.getenv("NMZ_NO_INITIATION") == null;
    String disable = System.getenv("NMZ_DISABLE");
    disabled = disable != null && !disable.isEmpty();
  }

  private static String setting(String property, String env, String fallback) {
    String value = System.getProperty(property);
    if (value == null || value.isEmpty()) value = System.getenv(env);
    return value == null || value.isEmpty() ? fallback : value;
  }

  private static void warn(String message) {
    System.err.println("nmz-java: " + message);
  }

  /** Sends one event and waits for its answer; true when nmz decided a fault. */
  boolean event(int type, String function, Object[] receiverAndParams) {
    if (disabled) return false;
    Connection c = connect();
    if (c == null) return false;
    int msgId = lastMsgId.incrementAndGet();
    byte[] frame = frame(request(msgId, type, function, receiverAndParams));
    Waiter waiter = new Waiter();
    waiters.put(msgId, waiter);
    try {
      c.send(frame);
      int result = waiter.await(timeoutMs);
      if (result == RES_END) disabled = true;
      return result == RES_ERROR;
    } catch (IOException e) {
      c.close(e.toString());
      return false;
    } finally {
      waiters.remove(msgId);
    }
  }

  private Connection connect() {
    Connection c = connection;
    if (c != null) return c;
    synchronized (connectLock) {
      if (connection != null) return connection;
      if (System.nanoTime() < retryAfterNanos) return null;
      Socket socket = new Socket();
      try {
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(host, port), 1000);
        c = new Connection(socket);
        if (sendInitiation) c.send(frame(initiation()));
      } catch (IOException e) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // Nothing was connected.
        }
        retryAfterNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        if (!warnedUnreachable) {
          warn("cannot reach nmz at " + host + ":" + port + " (" + e + "): calls proceed uninspected");
        }
        warnedUnreachable = true;
        return null;
      }
      warnedUnreachable = false;
      connection = c;
      Connection reading = c;
      Thread reader = new Thread(() -> readResponses(reading), "nmz-java-inspector-reader");
      reader.setDaemon(true);
      reader.start();
      return c;
    }
  }

  private void readResponses(Connection c) {
    String why;
    try {
      DataInputStream in = new DataInputStream(c.socket.getInputStream());
      byte[] header = new byte[4];
      for (;;) {
        in.readFully(header);
        int size = (header[0] & 0xFF) | (header[1] & 0xFF) << 8 | (header[2] & 0xFF) << 16 | (header[3] & 0xFF) << 24;
        if (size < 0 || size > MAX_RESPONSE_BYTES) throw new IOException("a response of " + size + " bytes");
        byte[] body = new byte[size];
        in.readFully(body);
        int[] resAndId = parseResponse(body);
        if (resAndId[0] == RES_END) {
          disabled = true;
          c.close(null);
          warn("nmz ended the inspection: calls proceed uninspected");
          return;
        }
        Waiter w = waiters.get(resAndId[1]);
        if (w != null) w.complete(resAndId[0]);
      }
    } catch (IOException e) {
      why = e.toString();
    }
    c.close(why);
  }

  /** res and msg_id of an InspectorMsgRsp. */
  private static int[] parseResponse(byte[] body) throws IOException {
    int[] out = {RES_ACK, 0};
    int[] at = {0};
    while (at[0] < body.length) {
      long key = varint(body, at);
      int wire = (int) (key & 7);
      int field = (int) (key >>> 3);
      if (wire == 0) {
        long value = varint(body, at);
        if (field == 1) out[0] = (int) value;
        if (field == 2) out[1] = (int) value;
      } else if (wire == 2) {
        at[0] += (int) varint(body, at);
      } else if (wire == 1 || wire == 5) {
        at[0] += wire == 1 ? 8 : 4;
      } else {
        throw new IOException("unsupported wire type " + wire + " in a response");
      }
    }
    return out;
  }

  private static long varint(byte[] in, int[] at) throws IOException {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at[0] >= in.length) throw new IOException("truncated response");
      byte b = in[at[0]++];
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) return value;
    }
    throw new IOException("overlong varint in a response");
  }

  private byte[] initiation() {
    Proto init = new Proto().string(1, entity);
    return header(TYPE_INITIATION, 0).message(8, init).int32(9, 0).bytes();
  }

  private Proto header(int type, int msgId) {
    return new Proto()
        .string(1, entity)
        .int32(2, type)
        .int32(3, (int) pid)
        .int32(4, (int) Thread.currentThread().getId())
        .int32(5, msgId);
  }

  private byte[] request(int msgId, int type, String function, Object[] receiverAndParams) {
    Proto event = new Proto().int32(1, type).message(type == FUNC_CALL ? 2 : 3, new Proto().string(1, function));
    Proto java = new Proto().string(1, Thread.currentThread().getName());
    List<StackWalker.StackFrame> frames = StackWalker.getInstance().walk(s -> s
        .filter(f -> !f.getClassName().startsWith("org.nmz.java.") && !f.getClassName().startsWith("org.jboss.byteman."))
        .limit(stackDepth)
        .collect(Collectors.toList()));
    java.int32(2, frames.size());
    for (StackWalker.StackFrame f : frames) {
      String file = f.getFileName();
      java.message(3, new Proto()
          .string(1, file == null ? "" : file)
          .string(2, f.getClassName())
          .string(3, f.getMethodName())
          .int32(4, f.getLineNumber()));
    }
    int nrParams = receiverAndParams == null ? 0 : Math.max(0, receiverAndParams.length - 1);
    java.int32(4, nrParams);
    for (int i = 1; i <= nrParams; i++) {
      java.message(5, new Proto().string(1, "$" + i).string(2, String.valueOf(receiverAndParams[i])));
    }
    return header(TYPE_EVENT, msgId).message(7, event).int32(9, 1).message(10, java).bytes();
  }

  private static byte[] frame(byte[] message) {
    byte[] out = new byte[message.length + 4];
    int n = message.length;
    out[0] = (byte) n;
    out[1] = (byte) (n >>> 8);
    out[2] = (byte) (n >>> 16);
    out[3] = (byte) (n >>> 24);
    System.arraycopy(message, 0, out, 4, n);
    return out;
  }

  /** The proto2 encoding of varint and length-delimited fields. */
  private static final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

    private void varint(long value) {
      while ((value & ~0x7FL) != 0) {
        out.write((int) ((value & 0x7F) | 0x80));
        value >>>= 7;
      }
      out.write((int) value);
    }

    Proto int32(int field, int value) {
      varint((long) field << 3);
      varint(value);
      return this;
    }

    Proto string(int field, String value) {
      return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    Proto message(int field, Proto message) {
      return bytes(field, message.bytes());
    }

    private Proto bytes(int field, byte[] value) {
      varint((long) field << 3 | 2);
      varint(value.length);
      out.write(value, 0, value.length);
      return this;
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }
}
