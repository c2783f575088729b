//! The read-only transport layer: in `--read-only` mode every request passes through it, and
//! anything other than a GET (which includes watches) or a POST creating a `*reviews`
//! resource is refused before it leaves the process.

use http::{Method, Request};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// Whether the read-only layer lets a request through.
pub fn permitted(method: &Method, path: &str) -> bool {
    match *method {
        Method::GET | Method::HEAD => true,
        // Reviews write nothing: they are questions to the authenticator and authoriser.
        Method::POST => {
            let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
            matches!(
                segments.as_slice(),
                ["apis", "authorization.k8s.io" | "authentication.k8s.io", _, plural]
                    | ["apis", "authorization.k8s.io", _, "namespaces", _, plural]
                    if plural.ends_with("reviews")
            )
        }
        _ => false,
    }
}

#[derive(Debug, thiserror::Error)]
#[error("read-only mode: refused to send {method} {path}")]
pub struct RefusedWrite {
    pub method: Method,
    pub path: String,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOnlyLayer;

impl<S> Layer<S> for ReadOnlyLayer {
    type Service = ReadOnly<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ReadOnly { inner }
    }
}

#[derive(Debug, Clone)]
pub struct ReadOnly<S> {
    inner: S,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> Service<Request<B>> for ReadOnly<S>
where
    S: Service<Request<B>>,
    S::Error: Into<tower::BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = tower::BoxError;
    type Future = BoxFuture<S::Response, tower::BoxError>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if !permitted(request.method(), request.uri().path()) {
            let refused = RefusedWrite {
                method: request.method().clone(),
                path: request.uri().path().to_string(),
            };
            return Box::pin(async move { Err(Box::new(refused) as tower::BoxError) });
        }
        let future = self.inner.call(request);
        Box::pin(async move { future.await.map_err(Into::into) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_and_reviews_pass() {
        assert!(permitted(&Method::GET, "/api/v1/pods"));
        assert!(permitted(
            &Method::POST,
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
        ));
        assert!(permitted(
            &Method::POST,
            "/apis/authentication.k8s.io/v1/selfsubjectreviews"
        ));
        assert!(!permitted(&Method::POST, "/api/v1/namespaces/a/pods"));
        assert!(!permitted(&Method::PATCH, "/api/v1/namespaces/a/pods/x"));
        assert!(!permitted(
            &Method::PUT,
            "/api/v1/namespaces/a/configmaps/x"
        ));
        assert!(!permitted(&Method::DELETE, "/api/v1/namespaces/a"));
        assert!(!permitted(
            &Method::POST,
            "/api/v1/namespaces/a/pods/x/exec"
        ));
        assert!(!permitted(
            &Method::POST,
            "/apis/example.com/v1/codereviews"
        ));
        assert!(permitted(
            &Method::POST,
            "/apis/authorization.k8s.io/v1/namespaces/a/localsubjectaccessreviews"
        ));
    }
}
