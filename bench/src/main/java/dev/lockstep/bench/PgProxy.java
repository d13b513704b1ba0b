package dev.lockstep.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy in front of PostgreSQL that notes when a client first connects and when it first sends SQL (a simple
 * Query or a Parse message), read from the frontend's messages as they pass. It needs plain connections
 * ({@code sslmode=disable}): a TLS stream cannot be read. It changes nothing that passes through it.
 */
final class PgProxy implements AutoCloseable {
    private static final int SSL_REQUEST = 80877103;
    private static final int GSS_REQUEST = 80877104;

    private final ServerSocket server;
    private final String host;
    private final int port;
    private final AtomicLong firstConnection = new AtomicLong();
    private final AtomicLong firstQuery = new AtomicLong();

    private PgProxy(ServerSocket server, String host, int port) {
        this.server = server;
        this.host = host;
        this.port = port;
    }

    static PgProxy start(String host, int port) throws IOException {
        PgProxy proxy = new PgProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), host, port);
        Thread accept = new Thread(proxy::accept, "pg-proxy");
        accept.setDaemon(true);
        accept.start();
        return proxy;
    }

    int port() {
        return server.getLocalPort();
    }

    /** Forgets what it saw: the next client's first connection and first SQL are noted afresh. */
    void reset() {
        firstConnection.set(0);
        firstQuery.set(0);
    }

    /** {@link System#nanoTime()} at the first connection since {@link #reset()}. */
    OptionalLong firstConnectionNanos() {
        long t = firstConnection.get();
        return t == 0 ? OptionalLong.empty() : OptionalLong.of(t);
    }

    /** {@link System#nanoTime()} when the first Query or Parse message since {@link #reset()} arrived. */
    OptionalLong firstQueryNanos() {
        long t = firstQuery.get();
        return t == 0 ? OptionalLong.empty() : OptionalLong.of(t);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                firstConnection.compareAndSet(0, System.nanoTime());
                Socket upstream = new Socket(host, port);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                daemon(() -> frontend(client, upstream), "pg-proxy-frontend");
                daemon(() -> copy(upstream, client), "pg-proxy-backend");
            } catch (IOException e) {
                if (!server.isClosed()) {
                    System.err.println("pg-proxy: " + e.getMessage());
                }
            }
        }
    }

    /** Client to server: forwarded message by message, noting the first that carries SQL. */
    private void frontend(Socket client, Socket upstream) {
        try (client; upstream; DataInputStream in = new DataInputStream(client.getInputStream())) {
            OutputStream out = upstream.getOutputStream();
            boolean startup = true;
            while (true) {
                int type;
                if (startup) {
                    type = -1;
                } else {
                    type = in.read();
                    if (type < 0) {
                        return;
                    }
                }
                int length = in.readInt();
                byte[] body = in.readNBytes(length - 4);
                if (type == 'Q' || type == 'P') {
                    firstQuery.compareAndSet(0, System.nanoTime());
                }
                if (type >= 0) {
                    out.write(type);
                }
                out.write(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
                out.write(body);
                out.flush();
                if (startup) {
                    int code = body.length >= 4 ? ((body[0] & 0xff) << 24) | ((body[1] & 0xff) << 16) | ((body[2] & 0xff) << 8) | (body[3] & 0xff) : 0;
                    if (code == SSL_REQUEST || code == GSS_REQUEST) {
                        continue; // the server answers N (with sslmode=disable none is sent); the startup message follows
                    }
                    startup = false;
                }
            }
        } catch (IOException e) {
            // the connection ended
        }
    }

    private static void copy(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buffer = new byte[16384];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the connection ended
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    private static void daemon(Runnable task, String name) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
