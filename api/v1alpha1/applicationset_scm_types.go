package v1alpha1

// SecretRef points at a key of a Secret in the ApplicationSet's namespace.
type SecretRef struct {
	SecretName string `json:"secretName"`
	Key        string `json:"key"`
}

// ConfigMapKeyRef points at a key of a ConfigMap, e.g. a CA bundle.
type ConfigMapKeyRef struct {
	ConfigMapName string `json:"configMapName"`
	Key           string `json:"key"`
}

// BasicAuthBitbucketServer is a username and a password (or token) Secret.
type BasicAuthBitbucketServer struct {
	Username    string     `json:"username"`
	PasswordRef *SecretRef `json:"passwordRef"`
}

// BearerTokenBitbucket is a Bitbucket Server HTTP access token.
type BearerTokenBitbucket struct {
	TokenRef *SecretRef `json:"tokenRef"`
}

// BearerTokenBitbucketCloud is a Bitbucket Cloud app, repository or workspace token.
type BearerTokenBitbucketCloud struct {
	TokenRef *SecretRef `json:"tokenRef"`
}

// SCMProviderGenerator yields one parameter set per repository (or branch)
// found in an organisation of an SCM provider. Exactly one provider is expected.
type SCMProviderGenerator struct {
	// +optional
	Github *SCMProviderGeneratorGithub `json:"github,omitempty"`
	// +optional
	Gitlab *SCMProviderGeneratorGitlab `json:"gitlab,omitempty"`
	// +optional
	Bitbucket *SCMProviderGeneratorBitbucket `json:"bitbucket,omitempty"`
	// +optional
	BitbucketServer *SCMProviderGeneratorBitbucketServer `json:"bitbucketServer,omitempty"`
	// +optional
	Gitea *SCMProviderGeneratorGitea `json:"gitea,omitempty"`
	// +optional
	AzureDevOps *SCMProviderGeneratorAzureDevOps `json:"azureDevOps,omitempty"`
	// +optional
	Filters []SCMProviderGeneratorFilter `json:"filters,omitempty"`
	// CloneProtocol is "ssh" or "https"; the provider's default otherwise.
	// +optional
	CloneProtocol string `json:"cloneProtocol,omitempty"`
	// +optional
	RequeueAfterSeconds *int64 `json:"requeueAfterSeconds,omitempty"`
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty,omitzero"`
	// +optional
	Values map[string]string `json:"values,omitempty"`
	// +optional
	AWSCodeCommit *SCMProviderGeneratorAWSCodeCommit `json:"awsCodeCommit,omitempty"`
}

// SCMProviderGeneratorGithub scans a GitHub organisation.
type SCMProviderGeneratorGithub struct {
	Organization string `json:"organization"`
	// API is the GitHub API URL; https://api.github.com/ when empty.
	// +optional
	API string `json:"api,omitempty"`
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// AppSecretName names a GitHub App repo-creds Secret.
	// +optional
	AppSecretName string `json:"appSecretName,omitempty"`
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
}

// SCMProviderGeneratorGitlab scans a GitLab group.
type SCMProviderGeneratorGitlab struct {
	// Group is the group's ID or full path.
	Group string `json:"group"`
	// +optional
	IncludeSubgroups bool `json:"includeSubgroups,omitempty"`
	// +optional
	API string `json:"api,omitempty"`
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// IncludeSharedProjects defaults to true.
	// +optional
	IncludeSharedProjects *bool `json:"includeSharedProjects,omitempty"`
	// +optional
	Topic string `json:"topic,omitempty"`
	// +optional
	CARef *ConfigMapKeyRef `json:"caRef,omitempty"`
}

// SCMProviderGeneratorBitbucket scans a Bitbucket Cloud workspace.
type SCMProviderGeneratorBitbucket struct {
	Owner          string     `json:"owner"`
	User           string     `json:"user"`
	AppPasswordRef *SecretRef `json:"appPasswordRef"`
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
}

// SCMProviderGeneratorBitbucketServer scans a Bitbucket Server (Data Center) project.
type SCMProviderGeneratorBitbucketServer struct {
	Project string `json:"project"`
	API     string `json:"api"`
	// +optional
	BasicAuth *BasicAuthBitbucketServer `json:"basicAuth,omitempty"`
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
	// +optional
	BearerToken *BearerTokenBitbucket `json:"bearerToken,omitempty"`
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// +optional
	CARef *ConfigMapKeyRef `json:"caRef,omitempty"`
}

// SCMProviderGeneratorGitea scans a Gitea organisation or user.
type SCMProviderGeneratorGitea struct {
	Owner string `json:"owner"`
	API   string `json:"api"`
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
	// +optional
	Insecure bool `json:"insecure,omitempty"`
}

// SCMProviderGeneratorAzureDevOps scans an Azure DevOps team project.
type SCMProviderGeneratorAzureDevOps struct {
	Organization string `json:"organization"`
	// +optional
	API            string     `json:"api,omitempty"`
	TeamProject    string     `json:"teamProject"`
	AccessTokenRef *SecretRef `json:"accessTokenRef"`
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
}

// SCMProviderGeneratorAWSCodeCommit scans the AWS CodeCommit repositories of a region.
type SCMProviderGeneratorAWSCodeCommit struct {
	// +optional
	TagFilters []TagFilter `json:"tagFilters,omitempty"`
	// Role is an IAM role to assume, for cross-account discovery.
	// +optional
	Role string `json:"role,omitempty"`
	// +optional
	Region string `json:"region,omitempty"`
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
}

// TagFilter matches AWS resource tags.
type TagFilter struct {
	Key string `json:"key"`
	// +optional
	Value string `json:"value,omitempty"`
}

// SCMProviderGeneratorFilter keeps repositories that pass every set condition.
type SCMProviderGeneratorFilter struct {
	// +optional
	RepositoryMatch *string `json:"repositoryMatch,omitempty"`
	// +optional
	PathsExist []string `json:"pathsExist,omitempty"`
	// +optional
	PathsDoNotExist []string `json:"pathsDoNotExist,omitempty"`
	// +optional
	LabelMatch *string `json:"labelMatch,omitempty"`
	// +optional
	BranchMatch *string `json:"branchMatch,omitempty"`
}

// PullRequestGenerator yields one parameter set per open pull request of a
// repository. Exactly one provider is expected.
type PullRequestGenerator struct {
	// +optional
	Github *PullRequestGeneratorGithub `json:"github,omitempty"`
	// +optional
	GitLab *PullRequestGeneratorGitLab `json:"gitlab,omitempty"`
	// +optional
	Gitea *PullRequestGeneratorGitea `json:"gitea,omitempty"`
	// +optional
	BitbucketServer *PullRequestGeneratorBitbucketServer `json:"bitbucketServer,omitempty"`
	// +optional
	Filters []PullRequestGeneratorFilter `json:"filters,omitempty"`
	// +optional
	RequeueAfterSeconds *int64 `json:"requeueAfterSeconds,omitempty"`
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty,omitzero"`
	// +optional
	Bitbucket *PullRequestGeneratorBitbucket `json:"bitbucket,omitempty"`
	// +optional
	AzureDevOps *PullRequestGeneratorAzureDevOps `json:"azuredevops,omitempty"`
	// ContinueOnRepoNotFoundError yields nothing, instead of failing, when the
	// repository does not exist.
	// +optional
	ContinueOnRepoNotFoundError bool `json:"continueOnRepoNotFoundError,omitempty"`
}

// PullRequestGeneratorGithub lists the pull requests of a GitHub repository.
type PullRequestGeneratorGithub struct {
	Owner string `json:"owner"`
	Repo  string `json:"repo"`
	// +optional
	API string `json:"api,omitempty"`
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// +optional
	AppSecretName string `json:"appSecretName,omitempty"`
	// Labels keeps pull requests carrying all of these labels.
	// +optional
	Labels []string `json:"labels,omitempty"`
}

// PullRequestGeneratorGitLab lists the merge requests of a GitLab project.
type PullRequestGeneratorGitLab struct {
	Project string `json:"project"`
	// +optional
	API string `json:"api,omitempty"`
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// +optional
	Labels []string `json:"labels,omitempty"`
	// PullRequestState keeps merge requests in this state; all states when empty.
	// +optional
	PullRequestState string `json:"pullRequestState,omitempty"`
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// +optional
	CARef *ConfigMapKeyRef `json:"caRef,omitempty"`
}

// PullRequestGeneratorGitea lists the pull requests of a Gitea repository.
type PullRequestGeneratorGitea struct {
	Owner string `json:"owner"`
	Repo  string `json:"repo"`
	API   string `json:"api"`
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// +optional
	Labels []string `json:"labels,omitempty"`
}

// PullRequestGeneratorBitbucketServer lists the pull requests of a Bitbucket
// Server repository.
type PullRequestGeneratorBitbucketServer struct {
	Project string `json:"project"`
	Repo    string `json:"repo"`
	API     string `json:"api"`
	// +optional
	BasicAuth *BasicAuthBitbucketServer `json:"basicAuth,omitempty"`
	// +optional
	BearerToken *BearerTokenBitbucket `json:"bearerToken,omitempty"`
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// +optional
	CARef *ConfigMapKeyRef `json:"caRef,omitempty"`
}

// PullRequestGeneratorBitbucket lists the pull requests of a Bitbucket Cloud repository.
type PullRequestGeneratorBitbucket struct {
	Owner string `json:"owner"`
	Repo  string `json:"repo"`
	// +optional
	API string `json:"api,omitempty"`
	// +optional
	BasicAuth *BasicAuthBitbucketServer `json:"basicAuth,omitempty"`
	// +optional
	BearerToken *BearerTokenBitbucketCloud `json:"bearerToken,omitempty"`
}

// PullRequestGeneratorAzureDevOps lists the pull requests of an Azure DevOps repository.
type PullRequestGeneratorAzureDevOps struct {
	Organization string `json:"organization"`
	Project      string `json:"project"`
	Repo         string `json:"repo"`
	// +optional
	API string `json:"api,omitempty"`
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// +optional
	Labels []string `json:"labels,omitempty"`
}

// PullRequestGeneratorFilter keeps pull requests that pass every set condition.
type PullRequestGeneratorFilter struct {
	// +optional
	BranchMatch *string `json:"branchMatch,omitempty"`
	// +optional
	TargetBranchMatch *string `json:"targetBranchMatch,omitempty"`
	// +optional
	TitleMatch *string `json:"titleMatch,omitempty"`
}
