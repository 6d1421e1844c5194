package sweep

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSlurmScript(t *testing.T) {
	sw := parse(t, contract)
	var b strings.Builder
	err := SlurmScript(&b, sw, SlurmOptions{Smd: "/opt/smd bin/smd", Config: "/home/u/s.yaml", Out: "/scratch/u/run 1",
		Tasks: 5, CPUs: 4, Time: "01:00:00", Partition: "short", JobName: "nrq"})
	if err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{
		"#!/bin/bash\n",
		"#SBATCH --array=0-4\n",
		"#SBATCH --cpus-per-task=4\n",
		"#SBATCH --time=01:00:00\n",
		"#SBATCH --partition=short\n",
		"#SBATCH --job-name=nrq\n",
		"#SBATCH --output=/scratch/u/run 1/slurm/%A_%a.out\n",
		`exec '/opt/smd bin/smd' sweep run --config /home/u/s.yaml --out '/scratch/u/run 1' --shard "${SLURM_ARRAY_TASK_ID}/5" --workers "${SLURM_CPUS_PER_TASK:-4}"` + "\n",
		"sweep collect '/scratch/u/run 1'",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	// #SBATCH lines must precede the first command.
	if i, j := strings.LastIndex(s, "#SBATCH"), strings.Index(s, "set -euo"); i > j {
		t.Error("an #SBATCH line after the first command is ignored by sbatch")
	}
	if err := SlurmScript(io.Discard, sw, SlurmOptions{Tasks: 0, CPUs: 1}); err == nil {
		t.Error("--tasks 0 accepted")
	}
}

// The manifest parses back (go.yaml.in/yaml/v3) to a ConfigMap holding a
// sweep config with the same points and an Indexed Job whose pods run shard
// JOB_COMPLETION_INDEX of n. No cluster was available to apply it.
func TestK8sManifest(t *testing.T) {
	sw := parse(t, contract)
	var b strings.Builder
	if err := K8sManifest(&b, sw, K8sOptions{Name: "nrq-sweep", Image: "registry/smd:1", Tasks: 3, CPUs: 2, PVC: "scratch", Out: "runs/a"}); err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(b.String()))
	var docs []map[string]any
	for {
		var d map[string]any
		if err := dec.Decode(&d); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("manifest does not parse: %v\n%s", err, b.String())
		}
		docs = append(docs, d)
	}
	if len(docs) != 2 || docs[0]["kind"] != "ConfigMap" || docs[1]["kind"] != "Job" || docs[1]["apiVersion"] != "batch/v1" {
		t.Fatalf("want a ConfigMap and a batch/v1 Job, got %d documents", len(docs))
	}
	get := func(v any, path ...any) any {
		for _, p := range path {
			switch k := p.(type) {
			case string:
				v = v.(map[string]any)[k]
			case int:
				v = v.([]any)[k]
			}
		}
		return v
	}
	cfg := get(docs[0], "data", "sweep.yaml").(string)
	back, err := Parse([]byte(cfg), "configmap", "")
	if err != nil {
		t.Fatalf("ConfigMap's sweep.yaml: %v", err)
	}
	if fmt.Sprint(ids(back.Points)) != fmt.Sprint(ids(sw.Points)) {
		t.Fatal("ConfigMap's sweep has other points")
	}
	spec := docs[1]["spec"]
	if get(spec, "completionMode") != "Indexed" || get(spec, "completions") != 3 || get(spec, "parallelism") != 3 {
		t.Fatalf("job spec %v", spec)
	}
	pod := get(spec, "template", "spec")
	if get(pod, "restartPolicy") != "Never" {
		t.Error("restartPolicy must be Never for a Job")
	}
	c := get(pod, "containers", 0)
	if get(c, "image") != "registry/smd:1" {
		t.Error("image")
	}
	env := get(c, "env", 0)
	if get(env, "name") != "JOB_COMPLETION_INDEX" || get(env, "valueFrom", "fieldRef", "fieldPath") != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Errorf("env %v", env)
	}
	var cmd []string
	for _, a := range get(c, "command").([]any) {
		cmd = append(cmd, a.(string))
	}
	if got := strings.Join(cmd, " "); got != "smd sweep run --config /etc/smd/sweep.yaml --out /data/runs/a --shard $(JOB_COMPLETION_INDEX)/3 --workers 2" {
		t.Errorf("command %q", got)
	}
	// Each index i in 0..n-1 expands to a valid --shard i/n.
	for i := range 3 {
		s := strings.ReplaceAll(cmd[8], "$(JOB_COMPLETION_INDEX)", fmt.Sprint(i))
		if !regexp.MustCompile(fmt.Sprintf(`^%d/3$`, i)).MatchString(s) {
			t.Errorf("index %d: --shard %s", i, s)
		}
	}
	mounts := map[string]string{}
	for _, m := range get(c, "volumeMounts").([]any) {
		mounts[get(m, "name").(string)] = get(m, "mountPath").(string)
	}
	vols := map[string]any{}
	for _, v := range get(pod, "volumes").([]any) {
		vols[get(v, "name").(string)] = v
	}
	if mounts["config"] != "/etc/smd" || mounts["data"] != "/data" ||
		get(vols["config"], "configMap", "name") != "nrq-sweep-config" ||
		get(vols["data"], "persistentVolumeClaim", "claimName") != "scratch" {
		t.Errorf("mounts %v volumes %v", mounts, vols)
	}
	for _, bad := range []K8sOptions{
		{Name: "Bad_Name", Image: "i", Tasks: 1, CPUs: 1, PVC: "p", Out: "o"},
		{Name: "ok", Tasks: 1, CPUs: 1, PVC: "p", Out: "o"},
		{Name: "ok", Image: "i", Tasks: 1, CPUs: 1, PVC: "p", Out: "/abs"},
	} {
		if err := K8sManifest(io.Discard, sw, bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}
