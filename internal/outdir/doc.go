// Package outdir writes a run's output files so that they appear together
// or not at all (issue 12, class 6), the one mechanism of every smd command
// that writes a folder (simulate, sweep points, verify, reproduce, train,
// measure).
//
// Create makes a temporary sibling of the output folder,
//
//	PARENT/.smd-tmp-OWNER-RAND-BASE
//
// the command writes its files into it (Set.WriteFile, Set.Path), and
// Set.Commit puts the whole set in place with one rename: onto a missing
// or empty folder with rename(2), over an earlier run's folder with
// renameat2(RENAME_EXCHANGE) on Linux (elsewhere two renames through
// PARENT/.smd-old-OWNER-RAND-BASE, undone by the next run if killed
// between them). The earlier run's own files, listed in its manifest
// .smd-outputs, go with it; any other entry (a file the user put there)
// is kept, hard-linked into the new set before the exchange. A run that
// fails or is killed before Commit leaves the folder as it was.
//
// OWNER is HOST-PID-START: a hash of the host name, the process id and the
// process's start time in clock ticks since boot (Linux /proc; 0
// elsewhere). A temporary is provably stale when it was made on this host
// and its process is gone or is another process with the same id (a
// different start time); Create and WriteAtomic remove such temporaries of
// their folder. Temporaries of a live process, of another host (a shared
// file system) or of an older smd without an OWNER are left alone.
package outdir
