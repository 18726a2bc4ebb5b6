package main

// ls --json and stat --json as a program reading them sees them, on every
// system.

import (
	"encoding/json"
	"testing"
	"time"
)

// lsObject is an object of ls --json and stat --json, as a program reading
// them sees it: the field names are the documented ones.
type lsObject struct {
	Kind    string               `json:"kind"`
	Target  string               `json:"target"`
	Path    string               `json:"path"`
	ID      *int64               `json:"id"`
	Type    string               `json:"type"`
	Size    *int64               `json:"size"`
	NSems   *int64               `json:"nsems"`
	Mode    string               `json:"mode"`
	UID     int                  `json:"uid"`
	Owner   string               `json:"owner"`
	GID     int                  `json:"gid"`
	Group   string               `json:"group"`
	Removed bool                 `json:"removed"`
	Times   map[string]time.Time `json:"times"`
	Mapped  *struct {
		Attached   *int64 `json:"attached"`
		CreatorPID int    `json:"creator_pid"`
		LastPID    int    `json:"last_pid"`
		Processes  []struct {
			PID     int    `json:"pid"`
			Command string `json:"command"`
		} `json:"processes"`
		Unknown []int  `json:"unknown"`
		Error   string `json:"error"`
	} `json:"mapped"`
	Value *int `json:"value"`
	Ring  *struct {
		Capacity         int64  `json:"capacity"`
		Used             int64  `json:"used"`
		Messages         int    `json:"messages"`
		ProducersWaiting int    `json:"producers_waiting"`
		ConsumersWaiting int    `json:"consumers_waiting"`
		Error            string `json:"error"`
	} `json:"ring"`
	Notes []string `json:"notes"`
}

// lsJSON runs ls --json with files and returns the objects it printed.
func lsJSON(t *testing.T, files ...string) []lsObject {
	t.Helper()
	out := mustRun(t, append([]string{"ls", "--json"}, files...)...)
	var objs []lsObject
	if err := json.Unmarshal([]byte(out), &objs); err != nil {
		t.Fatalf("ls --json printed what is not a JSON array of objects: %v\n%s", err, out)
	}
	return objs
}

// lsFind returns the object of kind and target in ls --json's output, or
// nil.
func lsFind(objs []lsObject, kind, target string) *lsObject {
	for i := range objs {
		if objs[i].Kind == kind && objs[i].Target == target {
			return &objs[i]
		}
	}
	return nil
}

// statJSON runs stat --json with args and returns the object it printed.
func statJSON(t *testing.T, args ...string) lsObject {
	t.Helper()
	out := mustRun(t, append([]string{"stat", "--json"}, args...)...)
	var o lsObject
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatalf("stat --json printed what is not a JSON object: %v\n%s", err, out)
	}
	return o
}
