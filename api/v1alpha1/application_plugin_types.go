package v1alpha1

// ApplicationSourcePlugin selects a config management plugin and passes it
// environment variables and parameters.
type ApplicationSourcePlugin struct {
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	Env Env `json:"env,omitempty"`
	// +optional
	Parameters ApplicationSourcePluginParameters `json:"parameters,omitempty"`
}

// Env is a list of EnvEntry.
type Env []EnvEntry

// EnvEntry is an environment variable passed to a plugin.
type EnvEntry struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ApplicationSourcePluginParameters is a list of ApplicationSourcePluginParameter.
type ApplicationSourcePluginParameters []ApplicationSourcePluginParameter

// ApplicationSourcePluginParameter is one plugin parameter; exactly one of
// String, Array and Map is expected.
//
// Array and Map are tagged omitzero only, not omitempty: Argo CD tells an absent
// value from an empty one (`map: {}` clears a plugin's default map), so an empty
// list or map must be written back rather than dropped.
type ApplicationSourcePluginParameter struct {
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	String *string `json:"string,omitempty"`
	// +optional
	Array []string `json:"array,omitzero"`
	// +optional
	Map map[string]string `json:"map,omitzero"`
}
