package actions

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/internal/luavm"

	lua "github.com/yuin/gopher-lua"
)

// The built-in actions' scripts, written for capstan.
const (
	restartDiscovery = `
local actions = {}
actions["restart"] = {iconClass = "fa fa-fw fa-redo", displayName = "Restart"}
return actions`

	// restartLua stamps the Pod template, which rolls the Pods out again,
	// as kubectl rollout restart does.
	restartLua = `
local spec = obj.spec
if spec.template == nil then spec.template = {} end
local meta = spec.template.metadata
if meta == nil then meta = {} spec.template.metadata = meta end
if meta.annotations == nil then meta.annotations = {} end
meta.annotations["kubectl.kubernetes.io/restartedAt"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj`

	deploymentDiscovery = `
local actions = {}
local paused = obj.spec ~= nil and obj.spec.paused == true
actions["restart"] = {iconClass = "fa fa-fw fa-redo", displayName = "Restart"}
actions["pause"] = {disabled = paused, iconClass = "fa fa-fw fa-pause-circle", displayName = "Pause"}
actions["resume"] = {disabled = not paused, iconClass = "fa fa-fw fa-play-circle", displayName = "Resume"}
return actions`

	pauseLua   = `obj.spec.paused = true return obj`
	unpauseLua = `obj.spec.paused = nil return obj`

	// suspendDiscovery serves the kinds with spec.suspend: Job and CronJob.
	suspendDiscovery = `
local actions = {}
local suspended = obj.spec ~= nil and obj.spec.suspend == true
actions["suspend"] = {disabled = suspended, iconClass = "fa fa-fw fa-pause-circle", displayName = "Suspend"}
actions["resume"] = {disabled = not suspended, iconClass = "fa fa-fw fa-play-circle", displayName = "Resume"}
%s
return actions`

	suspendLua = `obj.spec.suspend = true return obj`
	resumeLua  = `obj.spec.suspend = false return obj`

	createJobDiscovery = `actions["create-job"] = {iconClass = "fa fa-fw fa-plus", displayName = "Create Job"}`

	// createJobLua makes a Job from the CronJob's template, owned by the
	// CronJob, as kubectl create job --from does. The name takes the Unix
	// time: a CronJob's name has at most 52 characters, so it fits in 63.
	createJobLua = `
local tmpl = obj.spec.jobTemplate
local job = {apiVersion = "batch/v1", kind = "Job", metadata = {}, spec = tmpl.spec}
if tmpl.metadata ~= nil then
  job.metadata.labels = tmpl.metadata.labels
  job.metadata.annotations = tmpl.metadata.annotations
end
if job.metadata.annotations == nil then job.metadata.annotations = {} end
job.metadata.annotations["cronjob.kubernetes.io/instantiate"] = "manual"
job.metadata.name = obj.metadata.name .. "-" .. string.format("%d", os.time())
job.metadata.namespace = obj.metadata.namespace
job.metadata.ownerReferences = {{
  apiVersion = obj.apiVersion, kind = obj.kind, name = obj.metadata.name, uid = obj.metadata.uid,
  controller = true, blockOwnerDeletion = true,
}}
return {{operation = "create", resource = job}}`
)

// builtin are the actions capstan offers without settings, compiled the
// first time an action is asked for: a capstan whose users never list or
// run one does not hold them (about 0.25 MiB of compiled Lua).
var builtin = sync.OnceValue(func() map[schema.GroupKind]*Script {
	return map[schema.GroupKind]*Script{
		{Group: "apps", Kind: "Deployment"}: mustScript(deploymentDiscovery, map[string]string{
			"restart": restartLua, "pause": pauseLua, "resume": unpauseLua,
		}),
		{Group: "apps", Kind: "StatefulSet"}: mustScript(restartDiscovery, map[string]string{"restart": restartLua}),
		{Group: "apps", Kind: "DaemonSet"}:   mustScript(restartDiscovery, map[string]string{"restart": restartLua}),
		{Group: "batch", Kind: "Job"}: mustScript(fmt.Sprintf(suspendDiscovery, ""), map[string]string{
			"suspend": suspendLua, "resume": resumeLua,
		}),
		{Group: "batch", Kind: "CronJob"}: mustScript(fmt.Sprintf(suspendDiscovery, createJobDiscovery), map[string]string{
			"suspend": suspendLua, "resume": resumeLua, "create-job": createJobLua,
		}),
	}
})

// mustScript compiles a built-in script; they are constants, and the
// package's tests run each of them.
func mustScript(discovery string, definitions map[string]string) *Script {
	s := &Script{definitions: map[string]*lua.FunctionProto{}}
	var err error
	if s.discovery, err = luavm.Compile("discovery.lua", discovery); err != nil {
		panic(err)
	}
	for name, src := range definitions {
		if s.definitions[name], err = luavm.Compile(name+"/action.lua", src); err != nil {
			panic(err)
		}
	}
	return s
}
