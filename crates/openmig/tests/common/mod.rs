//! Driving a running `openmig serve` or `openmig demo` as a user does: the process, its
//! printed lines, and plain HTTP/1.1 over a socket.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Lines, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;

/// A running server; killed if a test fails half-way.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `openmig <command> --listen 127.0.0.1:0 --database <db> --keys <keys>` and
/// returns it with the lines it prints.
pub fn start(command: &str, db: &Path, keys: &Path) -> (Server, Lines<BufReader<ChildStdout>>) {
    let child = Command::new(cargo_bin("openmig"))
        .args([command, "--listen", "127.0.0.1:0", "--database"])
        .arg(db)
        .arg("--keys")
        .arg(keys)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let stdout = server.0.stdout.take().unwrap();
    (server, BufReader::new(stdout).lines())
}

/// A minimal HTTP/1.1 GET: status and body.
pub fn http_get(address: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let (status, _, body) = exchange(address, &format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n{auth}"), "");
    (status, body)
}

/// A minimal HTTP/1.1 POST of FHIR JSON with a bearer token: status, head and body.
pub fn http_post(address: &str, path: &str, token: &str, body: &str) -> (u16, String, String) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/fhir+json\r\nContent-Length: {}\r\n",
        body.len()
    );
    exchange(address, &head, body)
}

/// Sends `head` (request line and headers, each ending CRLF), `Connection: close` and
/// `body`; reads the whole answer.
fn exchange(address: &str, head: &str, body: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(stream, "{head}Connection: close\r\n\r\n{body}").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (head, body) = response.split_once("\r\n\r\n").map(|(h, b)| (h.to_string(), b.to_string())).unwrap_or_default();
    (status, head, body)
}
