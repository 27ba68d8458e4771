//! The inspector's page and its files (`--www`), served by tower-http's `ServeDir` behind one
//! guard: a request is answered only when the file it names really lies under the directory.
//! `ServeDir` follows symbolic links, and `www/` holds one that leads out of it
//! (`www/example/node_modules/agentwire` → `sdk/pkg`, and the example's sources beyond).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;

/// The served directory, as given and with every link resolved.
#[derive(Debug)]
struct Root {
    given: PathBuf,
    real: PathBuf,
}

/// A router that serves the files under `dir`.
///
/// # Errors
/// When `dir`'s real path can't be resolved (it does not exist).
pub(crate) fn router(dir: &Path) -> std::io::Result<Router> {
    let root = Arc::new(Root { given: dir.to_owned(), real: std::fs::canonicalize(dir)? });
    Ok(Router::new()
        .fallback_service(ServeDir::new(dir))
        .layer(middleware::from_fn_with_state(root, only_within_root)))
}

/// Lets a request through to `ServeDir` unless the path it names resolves outside the root:
/// that is a 404, as for a file that does not exist (nothing tells what lies outside).
async fn only_within_root(State(root): State<Arc<Root>>, request: Request, next: Next) -> Response {
    let candidate = candidate(&root.given, request.uri().path());
    for path in candidate.iter().flat_map(|path| [path.clone(), path.join("index.html")]) {
        if let Ok(real) = tokio::fs::canonicalize(&path).await {
            if !real.starts_with(&root.real) {
                tracing::debug!(path = %request.uri().path(), "refused: resolves outside --www");
                return StatusCode::NOT_FOUND.into_response();
            }
        }
    }
    next.run(request).await
}

/// The file a URL path names under `root`, decoded as `ServeDir` decodes it; `None` for a path
/// with a `..` segment, which `ServeDir` itself refuses.
fn candidate(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path);
    let mut path = root.to_owned();
    for segment in decoded.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => return None,
            segment => path.push(segment),
        }
    }
    Some(path)
}

/// `%XX` escapes decoded (an incomplete or non-hex escape is kept as it is).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let hex = |at: usize| bytes.get(at).and_then(|digit| (*digit as char).to_digit(16));
        match (byte, hex(index + 1), hex(index + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                index += 3;
            }
            _ => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths_map_to_files_as_serve_dir_decodes_them() {
        let root = Path::new("/srv/www");
        assert_eq!(candidate(root, "/a/b.js"), Some(PathBuf::from("/srv/www/a/b.js")));
        assert_eq!(
            candidate(root, "/node%5Fmodules/x"),
            Some(PathBuf::from("/srv/www/node_modules/x"))
        );
        assert_eq!(candidate(root, "//./a//"), Some(PathBuf::from("/srv/www/a")));
        assert_eq!(candidate(root, "/a/%2e%2e/b"), None);
        assert_eq!(candidate(root, "/a/../b"), None);
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
