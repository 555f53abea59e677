// SPDX-License-Identifier: Apache-2.0
package org.nmz.java;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.locks.LockSupport;

/**
 * One connection per JVM to nmz's PB endpoint (Namazu's wire: a 4-byte
 * little-endian length, then a proto2 InspectorMsgReq / InspectorMsgRsp),
 * shared by every thread: a thread writes its request and waits for the
 * answer with its msg_id. Configured by system properties (nmz inspectors
 * java -print-agent-options prints them), with Namazu's environment
 * variables as fallbacks. Used by NmzHelper and by Namazu's helper name,
 * net.osrg.namazu.PBEQHelper.
 *
 * <p>A thread that calls while nobody reads the socket takes the reading
 * turn and reads its own answer, which saves the hop through a reader thread
 * (a wake-up and a futex per call) when calls come one at a time. While it
 * reads, it hands every answer it reads to its waiter; when its own has come
 * and other calls still wait, it wakes the reader thread, which reads for as
 * long as calls wait (so under contention the turn does not change hands per
 * answer). Reads are 100 ms slices (SO_TIMEOUT), so deadlines and a dead nmz
 * are still seen. Threads that call at once have their requests written
 * together by whichever of them writes first.
 */
public final class NmzChannel {
  public static final int FUNC_CALL = 1;
  public static final int FUNC_RETURN = 2;
  private static final int RES_ACK = 1;
  private static final int RES_ERROR = 2;
  private static final int RES_END = 3;
  private static final int MAX_RESPONSE_BYTES = 1 << 16;
  private static final long READ_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
  private static final String[] PARAM_NAMES = new String[64];

  static {
    for (int i = 0; i < PARAM_NAMES.length; i++) PARAM_NAMES[i] = "$" + (i + 1);
  }

  private static final NmzChannel INSTANCE = new NmzChannel();

  public static NmzChannel instance() {
    return INSTANCE;
  }

  /** One call waiting for its answer: 0 until an answer (or the close) sets it. */
  private static final class Waiter {
    private static final AtomicIntegerFieldUpdater<Waiter> RESULT =
        AtomicIntegerFieldUpdater.newUpdater(Waiter.class, "result");
    final Thread thread = Thread.currentThread();
    volatile int result;

    void complete(int res) {
      if (RESULT.compareAndSet(this, 0, res)) LockSupport.unpark(thread);
    }
  }

  /** What a thread reuses from call to call. */
  private static final class Scratch {
    final RequestEncoder encoder = new RequestEncoder();
    byte[][] frames = new byte[0][];
    String[] names = new String[0];
    String[] values = new String[0];

    void params(int n) {
      if (values.length < n) {
        names = new String[n];
        values = new String[n];
      }
    }
  }

  private final class Connection {
    final Socket socket;
    final OutputStream out;
    final InputStream in;
    volatile boolean closed;
    // Requests queued to be written; `writing` while one thread writes them.
    private final Object sendLock = new Object();
    private byte[] pending = new byte[1024];
    private byte[] spare;
    private int pendingLength;
    private boolean writing;
    // Held by the one thread that reads the socket (a caller, or `reader`).
    final AtomicBoolean readingTurn = new AtomicBoolean();
    // Reads while calls wait, when a caller that read passed the turn on.
    final Thread reader = new Thread(this::readWhileCallsWait, "nmz-java-inspector-reader");
    // The leader's: input[inputStart, inputEnd) is read and not handed over yet.
    private final byte[] input = new byte[64 * 1024 + 4];
    private int inputStart;
    private int inputEnd;
    private int soTimeoutMs;

    Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.out = socket.getOutputStream();
      this.in = socket.getInputStream();
    }

    /**
     * Writes a frame, straight from the caller's buffer when no other
     * thread is writing; else queues a copy for the writing thread, which
     * writes what is queued before it returns.
     */
    void send(byte[] frame, int length) throws IOException {
      synchronized (sendLock) {
        if (writing) {
          if (pending.length - pendingLength < length) {
            byte[] grown = new byte[Math.max(pending.length * 2, pendingLength + length)];
            System.arraycopy(pending, 0, grown, 0, pendingLength);
            pending = grown;
          }
          System.arraycopy(frame, 0, pending, pendingLength, length);
          pendingLength += length;
          return;
        }
        writing = true;
      }
      byte[] chunk = frame;
      int size = length;
      for (;;) {
        try {
          out.write(chunk, 0, size);
        } catch (IOException e) {
          synchronized (sendLock) {
            writing = false;
          }
          throw e;
        }
        synchronized (sendLock) {
          if (chunk != frame) spare = chunk;
          if (pendingLength == 0) {
            writing = false;
            return;
          }
          chunk = pending;
          size = pendingLength;
          pending = spare != null ? spare : new byte[chunk.length];
          spare = null;
          pendingLength = 0;
        }
      }
    }

    /**
     * Reads once (for at most sliceMs) and hands every complete answer to its
     * waiter; only the thread holding readingTurn calls it.
     */
    void readSome(int sliceMs) throws IOException {
      if (inputStart > 0) {
        System.arraycopy(input, inputStart, input, 0, inputEnd - inputStart);
        inputEnd -= inputStart;
        inputStart = 0;
      }
      int got;
      try {
        if (sliceMs != soTimeoutMs) {
          socket.setSoTimeout(sliceMs);
          soTimeoutMs = sliceMs;
        }
        got = in.read(input, inputEnd, input.length - inputEnd);
      } catch (SocketTimeoutException e) {
        return;
      }
      if (got < 0) throw new IOException("nmz closed the connection");
      inputEnd += got;
      while (inputEnd - inputStart >= 4) {
        int size = (input[inputStart] & 0xFF) | (input[inputStart + 1] & 0xFF) << 8
            | (input[inputStart + 2] & 0xFF) << 16 | (input[inputStart + 3] & 0xFF) << 24;
        if (size < 0 || size > MAX_RESPONSE_BYTES) throw new IOException("a response of " + size + " bytes");
        if (inputEnd - inputStart < 4 + size) break;
        dispatch(input, inputStart + 4, size);
        inputStart += 4 + size;
        if (closed) return;
      }
    }

    /** The reader thread: when woken, reads for as long as calls wait and nobody else reads. */
    private void readWhileCallsWait() {
      while (!closed) {
        while (!closed && !waiters.isEmpty() && readingTurn.compareAndSet(false, true)) {
          try {
            while (!closed && !waiters.isEmpty()) readSome((int) TimeUnit.NANOSECONDS.toMillis(READ_SLICE_NANOS));
          } catch (IOException e) {
            close(closed ? null : e.getMessage());
          } finally {
            readingTurn.set(false);
          }
        }
        LockSupport.park(this);
      }
    }

    private void dispatch(byte[] body, int offset, int size) throws IOException {
      int[] resAndId = parseResponse(body, offset, offset + size);
      if (resAndId[0] == RES_END) {
        disabled = true;
        close(null);
        warn("nmz ended the inspection: calls proceed uninspected");
        return;
      }
      Waiter w = waiters.get(resAndId[1]);
      if (w != null) w.complete(resAndId[0]);
    }

    void close(String why) {
      closed = true;
      try {
        socket.close();
      } catch (IOException ignored) {
        // Closing is all that is left to do.
      }
      synchronized (connectLock) {
        if (connection == this) connection = null;
      }
      // After `closed` is set: a thread that registers later sees it before it waits.
      for (Waiter w : waiters.values()) w.complete(RES_ACK);
      LockSupport.unpark(reader);
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
  private final int pid = (int) ProcessHandle.current().pid();
  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

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

  /**
   * Sends one event and waits for its answer; true when nmz decided a fault.
   * `receiverAndParams` is byteman's $* (the receiver, then the parameters,
   * sent as $1, $2, ...), or null.
   */
  public boolean event(int type, String function, Object[] receiverAndParams) {
    if (disabled) return false;
    Scratch s = scratch.get();
    int nParams = receiverAndParams == null ? 0 : Math.max(0, receiverAndParams.length - 1);
    s.params(nParams);
    for (int i = 0; i < nParams; i++) {
      s.names[i] = i < PARAM_NAMES.length ? PARAM_NAMES[i] : "$" + (i + 1);
      s.values[i] = String.valueOf(receiverAndParams[i + 1]);
    }
    return roundTrip(s, type, function, nParams);
  }

  /** The same with named parameters (Namazu's argMap), sent as String.valueOf of each value. */
  public boolean event(int type, String function, Map<String, ?> params) {
    if (disabled) return false;
    Scratch s = scratch.get();
    int nParams = params == null ? 0 : params.size();
    s.params(nParams);
    int i = 0;
    if (params != null) {
      for (Map.Entry<String, ?> e : params.entrySet()) {
        if (i == nParams) break;  // the map grew meanwhile
        s.names[i] = String.valueOf(e.getKey());
        s.values[i++] = String.valueOf(e.getValue());
      }
    }
    return roundTrip(s, type, function, i);
  }

  /** Whether a frame of `className` is on the calling thread's stack (Namazu's class filter). */
  public static boolean onStack(String className) {
    return WALKER.walk(frames -> frames.anyMatch(f -> f.getClassName().equals(className)));
  }

  /** Turns the inspection off for good: calls proceed uninspected, waiting threads are released. */
  public void stopInspection() {
    disabled = true;
    Connection c = connection;
    if (c != null) c.close(null);
  }

  private boolean roundTrip(Scratch s, int type, String function, int nParams) {
    Connection c = connect();
    if (c == null) return false;
    int nFrames = captureStack(s);
    int msgId = lastMsgId.incrementAndGet();
    Thread self = Thread.currentThread();
    s.encoder.event(entity, pid, (int) self.getId(), msgId, type, function, self.getName(), s.frames, nFrames,
        s.names, s.values, nParams);
    Waiter waiter = new Waiter();
    waiters.put(msgId, waiter);
    try {
      if (c.closed) return false;
      c.send(s.encoder.buffer(), s.encoder.length());
      int result = await(c, waiter, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
      if (result == RES_END) disabled = true;
      return result == RES_ERROR;
    } catch (IOException e) {
      c.close(e.toString());
      return false;
    } finally {
      waiters.remove(msgId);
    }
  }

  /** The caller's frames without the helper's and byteman's, innermost first, encoded into s.frames. */
  private int captureStack(Scratch s) {
    if (stackDepth <= 0) return 0;
    if (s.frames.length < stackDepth) s.frames = new byte[stackDepth][];
    byte[][] into = s.frames;
    return WALKER.walk(frames -> {
      int n = 0;
      for (Iterator<StackWalker.StackFrame> it = frames.iterator(); it.hasNext() && n < into.length; ) {
        StackWalker.StackFrame f = it.next();
        String name = f.getClassName();
        if (name.startsWith("org.nmz.java.") || name.startsWith("org.jboss.byteman.")
            || name.startsWith("net.osrg.namazu.")) {
          continue;
        }
        into[n++] = FrameCache.encoded(f);
      }
      return n;
    });
  }

  /**
   * The answer for `waiter`, or ACK when the connection closed or the deadline
   * passed first. The waiting thread that takes the reading turn reads (in
   * slices, so that it sees its deadline, interrupts and the close) and hands
   * every answer over; the others park until theirs comes. A caller that
   * leaves with the turn just released while others wait wakes the reader
   * thread to take it (a waiter also retries after a slice, so a wake-up lost
   * to a race costs at most one slice).
   */
  private int await(Connection c, Waiter waiter, long deadlineNanos) {
    boolean justLed = false;
    try {
      for (;;) {
        int result = waiter.result;
        if (result != 0) return result;
        if (c.closed || Thread.currentThread().isInterrupted()) return RES_ACK;
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) return RES_ACK;
        long slice = Math.min(left, READ_SLICE_NANOS);
        if (c.readingTurn.compareAndSet(false, true)) {
          try {
            c.readSome((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(slice)));
          } catch (IOException e) {
            c.close(c.closed ? null : e.getMessage());
          } finally {
            c.readingTurn.set(false);
          }
          justLed = true;
          continue;
        }
        justLed = false;
        LockSupport.parkNanos(this, slice);
      }
    } finally {
      // Checked after the turn is released: a caller that registers later takes the turn itself.
      if (justLed && waiters.size() > 1) LockSupport.unpark(c.reader);
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
        if (sendInitiation) {
          byte[] init = RequestEncoder.initiation(entity, pid, (int) Thread.currentThread().getId());
          c.send(init, init.length);
        }
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
      c.reader.setDaemon(true);
      c.reader.start();
      return c;
    }
  }

  /** res and msg_id of an InspectorMsgRsp in body[from, to). */
  private static int[] parseResponse(byte[] body, int from, int to) throws IOException {
    int[] out = {RES_ACK, 0};
    int[] at = {from};
    while (at[0] < to) {
      long key = varint(body, at, to);
      int wire = (int) (key & 7);
      int field = (int) (key >>> 3);
      if (wire == 0) {
        long value = varint(body, at, to);
        if (field == 1) out[0] = (int) value;
        if (field == 2) out[1] = (int) value;
      } else if (wire == 2) {
        at[0] += (int) varint(body, at, to);
      } else if (wire == 1 || wire == 5) {
        at[0] += wire == 1 ? 8 : 4;
      } else {
        throw new IOException("unsupported wire type " + wire + " in a response");
      }
    }
    return out;
  }

  private static long varint(byte[] in, int[] at, int to) throws IOException {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at[0] >= to) throw new IOException("truncated response");
      byte b = in[at[0]++];
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) return value;
    }
    throw new IOException("overlong varint in a response");
  }
}
