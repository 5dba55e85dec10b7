package server

import (
	"github.com/coreos/go-systemd/v22/daemon"
	"k8s.io/klog/v2"
)

// sdNotify tells systemd about a state change. Outside systemd
// (NOTIFY_SOCKET unset) it does nothing.
func sdNotify(state string) {
	sent, err := daemon.SdNotify(false, state)
	if err != nil {
		klog.ErrorS(err, "Telling systemd the server state failed", "state", state)
		return
	}
	if sent {
		klog.V(2).InfoS("Told systemd the server state", "state", state)
	}
}
