package monitor

// Account names the AWS account a cluster is in. Once the configuration
// spans accounts a cluster name alone is ambiguous ("cron" in staging or
// in production?), so findings, summaries and metrics carry it.
type Account struct {
	ID    string `json:"id,omitempty"`
	Alias string `json:"alias,omitempty"`
}

// IsZero reports whether no account is known.
func (a Account) IsZero() bool { return a.ID == "" && a.Alias == "" }

// String is how people read it: "prod (222222222222)", or whichever part
// is known.
func (a Account) String() string {
	switch {
	case a.Alias != "" && a.ID != "":
		return a.Alias + " (" + a.ID + ")"
	case a.Alias != "":
		return a.Alias
	}
	return a.ID
}

// Tags are the metric tags naming the account.
func (a Account) Tags() []string {
	var tags []string
	if a.ID != "" {
		tags = append(tags, "account:"+a.ID)
	}
	if a.Alias != "" {
		tags = append(tags, "account_alias:"+a.Alias)
	}
	return tags
}

// InAccount is the finding's account, as Account.
func (f Finding) InAccount() Account { return Account{ID: f.Account, Alias: f.AccountAlias} }

// InAccount is the summarised cluster's account, as Account.
func (c ClusterSummary) InAccount() Account { return Account{ID: c.Account, Alias: c.AccountAlias} }

// stampAccount sets the finding's account from the dispatcher's lookup
// when the producer left it unset.
func (d *Dispatcher) stampAccount(f Finding) Finding {
	if f.Account == "" && f.AccountAlias == "" && d.o.Account != nil {
		a := d.o.Account(f.Cluster)
		f.Account, f.AccountAlias = a.ID, a.Alias
	}
	return f
}

// stampSummary sets every cluster's account in a summary.
func (d *Dispatcher) stampSummary(s Summary) Summary {
	if d.o.Account == nil {
		return s
	}
	for i := range s.Clusters {
		a := d.o.Account(s.Clusters[i].Cluster)
		s.Clusters[i].Account, s.Clusters[i].AccountAlias = a.ID, a.Alias
	}
	return s
}
