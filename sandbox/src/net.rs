//! The listener and connection wrapper that let a handler reset its own TCP connection.
//!
//! axum handlers never see the socket, yet the `reset` fault must close the connection without
//! any HTTP response. Every accepted stream is wrapped in [`SandboxIo`], which shares an abort
//! flag with the [`Peer`] value handlers receive through `ConnectInfo`. Once the flag is set,
//! the next read or write sets `SO_LINGER` to zero and fails; hyper then drops the connection
//! and the kernel answers with a TCP RST instead of an orderly FIN.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

pub(crate) struct SandboxListener(pub TcpListener);

impl Listener for SandboxListener {
    type Io = SandboxIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = Listener::accept(&mut self.0).await;
        let _ = stream.set_nodelay(true);
        let io = SandboxIo {
            stream,
            abort: Arc::new(AtomicBool::new(false)),
        };
        (io, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

pub(crate) struct SandboxIo {
    stream: TcpStream,
    abort: Arc<AtomicBool>,
}

impl SandboxIo {
    fn check(&self) -> io::Result<()> {
        if self.abort.load(Ordering::SeqCst) {
            // Zero linger turns the close into an RST. Never blocks: nothing is flushed.
            let _ = self.stream.set_zero_linger();
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "sandbox reset fault",
            ));
        }
        Ok(())
    }
}

impl AsyncRead for SandboxIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SandboxIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The connection a request came in on, available to handlers as `ConnectInfo<Peer>`.
#[derive(Clone, Debug)]
pub(crate) struct Peer {
    pub addr: SocketAddr,
    abort: Arc<AtomicBool>,
}

impl Peer {
    /// Makes the connection fail with a TCP reset at its next read or write.
    pub fn reset_connection(&self) {
        self.abort.store(true, Ordering::SeqCst);
    }

    pub fn is_loopback(&self) -> bool {
        match self.addr.ip() {
            IpAddr::V4(ip) => ip.is_loopback(),
            IpAddr::V6(ip) => {
                ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        }
    }
}

impl Connected<IncomingStream<'_, SandboxListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, SandboxListener>) -> Self {
        Peer {
            addr: *stream.remote_addr(),
            abort: stream.io().abort.clone(),
        }
    }
}
