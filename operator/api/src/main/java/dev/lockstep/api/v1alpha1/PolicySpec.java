package dev.lockstep.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** What the operator may do to the database beyond applying migrations forward. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PolicySpec {
    @JsonPropertyDescription("When true, a targetRevision below the database's revision runs the undo scripts"
            + " (U<version>__<description>.sql) of every version above it, newest first, once no pod requires a higher"
            + " revision. Defaults to false: a lower target is then reported as Stalled and nothing runs.")
    private Boolean allowDown;

    public Boolean getAllowDown() { return allowDown; }
    public void setAllowDown(Boolean allowDown) { this.allowDown = allowDown; }

    public boolean downAllowed() { return Boolean.TRUE.equals(allowDown); }
}
