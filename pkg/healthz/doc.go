// Package healthz serves /healthz, /livez and /readyz in the exact format of
// kube-apiserver, so that probes, load balancers and scripts written for it
// work unchanged.
//
// An endpoint runs its checks in order. Without ?verbose a healthy endpoint
// answers "ok"; with it, one "[+]name ok" line per check and "<endpoint>
// check passed". A failure always answers 500 with the verbose body, hiding
// the reason ("reason withheld") because the endpoints are public; the real
// error goes to the log. Each check is also served alone at
// /<endpoint>/<name>, where it does show its error.
package healthz
