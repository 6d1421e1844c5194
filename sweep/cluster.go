package sweep

import (
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/smdlab/smd/experiment"
)

// SlurmOptions configure the sbatch script of SlurmScript.
type SlurmOptions struct {
	Smd       string // the smd executable on the cluster (absolute path)
	Config    string // the sweep config (absolute path on the cluster)
	Out       string // the sweep folder (absolute path on shared storage)
	Tasks     int    // array tasks n: --array=0-(n−1), task i runs --shard i/n
	Time      string // --time (optional), e.g. 02:00:00
	CPUs      int    // --cpus-per-task (≥ 1); each task runs --workers CPUs
	Partition string // --partition (optional)
	JobName   string // --job-name
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && regexp.MustCompile(`^[A-Za-z0-9_./:=@%+-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// SlurmScript writes an sbatch script that runs the sweep as a job array:
// task i runs `smd sweep run --shard i/n`. Slurm distributes the tasks;
// each writes its points into Out/points, Slurm's logs go to
// Out/slurm/JOB_TASK.out.
func SlurmScript(w io.Writer, sw *Sweep, o SlurmOptions) error {
	if o.Tasks < 1 {
		return &experiment.FieldError{Field: "--tasks", Msg: fmt.Sprintf("must be ≥ 1, got %d", o.Tasks)}
	}
	if o.CPUs < 1 {
		return &experiment.FieldError{Field: "--cpus", Msg: fmt.Sprintf("must be ≥ 1, got %d", o.CPUs)}
	}
	var work int64
	for _, p := range sw.Points {
		work += p.Work()
	}
	q := shellQuote
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n")
	fmt.Fprintf(&b, "# smd sweep %s: %d points, %.3g trial-steps, as a Slurm job array of %d tasks.\n", filepath.Base(sw.Name), len(sw.Points), float64(work), o.Tasks)
	fmt.Fprintf(&b, "# Submit:   sbatch THIS_FILE\n")
	fmt.Fprintf(&b, "# Collect:  %s sweep collect %s   (after the array ends; or chain it:\n", q(o.Smd), q(o.Out))
	fmt.Fprintf(&b, "#   jid=$(sbatch --parsable THIS_FILE)\n")
	fmt.Fprintf(&b, "#   sbatch --dependency=afterany:$jid --wrap \"%s sweep collect %s\")\n", q(o.Smd), q(o.Out))
	fmt.Fprintf(&b, "# A failed or cancelled task loses only its unfinished points: resubmit\n")
	fmt.Fprintf(&b, "# (or run the shard by hand); finished points are skipped.\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", o.JobName)
	fmt.Fprintf(&b, "#SBATCH --array=0-%d\n", o.Tasks-1)
	fmt.Fprintf(&b, "#SBATCH --ntasks=1\n")
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", o.CPUs)
	if o.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", o.Time)
	}
	if o.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", o.Partition)
	}
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(o.Out, "slurm", "%A_%a.out"))
	fmt.Fprintf(&b, "set -euo pipefail\n")
	fmt.Fprintf(&b, "exec %s sweep run --config %s --out %s --shard \"${SLURM_ARRAY_TASK_ID}/%d\" --workers \"${SLURM_CPUS_PER_TASK:-%d}\"\n",
		q(o.Smd), q(o.Config), q(o.Out), o.Tasks, o.CPUs)
	_, err := io.WriteString(w, b.String())
	return err
}

// K8sOptions configure the manifest of K8sManifest.
type K8sOptions struct {
	Name        string // Job name (ConfigMap: Name-config)
	Image       string // container image with smd on its PATH
	Tasks       int    // completions n (indexes 0…n−1)
	Parallelism int    // pods at once (0: Tasks)
	CPUs        int    // CPU request and limit per pod; --workers
	PVC         string // PersistentVolumeClaim holding the sweep folder
	Out         string // the sweep folder inside the claim (relative)
}

// K8sManifest writes a ConfigMap holding the resolved sweep config and an
// Indexed Job whose pod i runs `smd sweep run --shard i/n` (the index from
// JOB_COMPLETION_INDEX), writing into a PersistentVolumeClaim mounted at
// /data.
func K8sManifest(w io.Writer, sw *Sweep, o K8sOptions) error {
	bad := func(field, format string, a ...any) error {
		return &experiment.FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case o.Tasks < 1:
		return bad("--tasks", "must be ≥ 1, got %d", o.Tasks)
	case o.CPUs < 1:
		return bad("--cpus", "must be ≥ 1, got %d", o.CPUs)
	case o.Parallelism < 0:
		return bad("--parallelism", "must be ≥ 0, got %d", o.Parallelism)
	case !regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$`).MatchString(o.Name):
		return bad("--name", "want a Kubernetes name (lower-case letters, digits, '-'; at most 52), got %q", o.Name)
	case o.Image == "":
		return bad("--image", "required: a container image with smd on its PATH")
	case o.PVC == "":
		return bad("--pvc", "required: the PersistentVolumeClaim that holds the sweep folder")
	case filepath.IsAbs(o.Out) || strings.HasPrefix(filepath.Clean(o.Out), ".."):
		return bad("--out", "want a folder relative to the claim's root, got %q", o.Out)
	}
	for _, p := range sw.Points {
		for _, f := range []string{p.Config.AFile, p.Config.NoiseFile} {
			if f != "" && !filepath.IsAbs(f) {
				return bad("a_file", "point %s reads %q relative to the config; in a pod give an absolute path (in the image or the claim)", p.Label(sw.Keys), f)
			}
		}
	}
	par := o.Parallelism
	if par == 0 {
		par = o.Tasks
	}
	out := "/data/" + filepath.ToSlash(filepath.Clean(o.Out))
	cm := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": o.Name + "-config"},
		"data":       map[string]any{"sweep.yaml": string(sw.Resolved)},
	}
	cpu := strconv.Itoa(o.CPUs)
	job := map[string]any{
		"apiVersion": "batch/v1",
		"kind":       "Job",
		"metadata":   map[string]any{"name": o.Name},
		"spec": map[string]any{
			"completionMode": "Indexed",
			"completions":    o.Tasks,
			"parallelism":    par,
			"backoffLimit":   o.Tasks * 2,
			"template": map[string]any{
				"spec": map[string]any{
					"restartPolicy": "Never",
					"containers": []any{map[string]any{
						"name":  "smd",
						"image": o.Image,
						"env": []any{map[string]any{
							"name": "JOB_COMPLETION_INDEX",
							"valueFrom": map[string]any{"fieldRef": map[string]any{
								"fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}},
						}},
						"command": []any{"smd", "sweep", "run", "--config", "/etc/smd/sweep.yaml", "--out", out,
							"--shard", fmt.Sprintf("$(JOB_COMPLETION_INDEX)/%d", o.Tasks), "--workers", cpu},
						"resources": map[string]any{
							"requests": map[string]any{"cpu": cpu},
							"limits":   map[string]any{"cpu": cpu},
						},
						"volumeMounts": []any{
							map[string]any{"name": "config", "mountPath": "/etc/smd", "readOnly": true},
							map[string]any{"name": "data", "mountPath": "/data"},
						},
					}},
					"volumes": []any{
						map[string]any{"name": "config", "configMap": map[string]any{"name": o.Name + "-config"}},
						map[string]any{"name": "data", "persistentVolumeClaim": map[string]any{"claimName": o.PVC}},
					},
				},
			},
		},
	}
	fmt.Fprintf(w, "# smd sweep %s: %d points as a Kubernetes Indexed Job of %d pods.\n", filepath.Base(sw.Name), len(sw.Points), o.Tasks)
	fmt.Fprintf(w, "# Apply:    kubectl apply -f THIS_FILE\n")
	fmt.Fprintf(w, "# Wait:     kubectl wait --for=condition=complete --timeout=24h job/%s\n", o.Name)
	fmt.Fprintf(w, "# Collect:  smd sweep collect %s   (in any pod mounting claim %s at /data)\n", out, o.PVC)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(cm); err != nil {
		return err
	}
	if err := enc.Encode(job); err != nil {
		return err
	}
	return enc.Close()
}
