{{/* The release's full name, at most 63 characters. */}}
{{- define "lockstep.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "lockstep.serviceAccountName" -}}
{{- default (include "lockstep.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* Labels every object gets. */}}
{{- define "lockstep.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* What selects the operator's pods. */}}
{{- define "lockstep.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* The image: by digest when one is given, else by tag (the chart's appVersion by default). */}}
{{- define "lockstep.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The namespaces the operator watches, as a list; empty for all. Fails on a contradiction. */}}
{{- define "lockstep.watchedNamespaces" -}}
{{- if eq .Values.watch.mode "namespaces" -}}
{{- if not .Values.watch.namespaces -}}
{{- fail "watch.mode namespaces needs watch.namespaces: list the namespaces to watch, or use watch.mode all or release" -}}
{{- end -}}
{{- toJson .Values.watch.namespaces -}}
{{- else if eq .Values.watch.mode "release" -}}
{{- toJson (list .Release.Namespace) -}}
{{- else -}}
{{- if .Values.watch.namespaces -}}
{{- fail "watch.namespaces is only read with watch.mode namespaces: set watch.mode: namespaces, or remove watch.namespaces" -}}
{{- end -}}
{{- toJson list -}}
{{- end -}}
{{- end -}}

{{/*
The namespaces runner pods run in that the chart knows, as a list: the watched ones, or with watch.mode all the ones
runner.serviceAccount.namespaces lists (empty: none known).
*/}}
{{- define "lockstep.runnerNamespaces" -}}
{{- $watched := include "lockstep.watchedNamespaces" . | fromJsonArray -}}
{{- if and $watched .Values.runner.serviceAccount.namespaces -}}
{{- fail "runner.serviceAccount.namespaces is only read with watch.mode all (otherwise the runner's ServiceAccount is made in every watched namespace): remove it" -}}
{{- end -}}
{{- if $watched -}}
{{- toJson $watched -}}
{{- else -}}
{{- toJson .Values.runner.serviceAccount.namespaces -}}
{{- end -}}
{{- end -}}

{{/* The runner pods' ServiceAccount the operator is told of; empty for each namespace's default. */}}
{{- define "lockstep.runnerServiceAccountName" -}}
{{- if .Values.runner.serviceAccount.name -}}
{{- .Values.runner.serviceAccount.name -}}
{{- else if and .Values.runner.serviceAccount.create (include "lockstep.runnerNamespaces" . | fromJsonArray) -}}
{{- printf "%s-runner" (include "lockstep.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* A user or group id of the values (a number, or a word such as auto): numbers as integers, never 6.5532e+04. */}}
{{- define "lockstep.id" -}}
{{- if kindIs "string" . -}}{{ . }}{{- else -}}{{ int64 . }}{{- end -}}
{{- end -}}

{{/* Cross-field rules the schema cannot say clearly. */}}
{{- define "lockstep.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) -}}
{{- fail (printf "replicaCount %d needs leaderElection.enabled: true, or two operators would run migrations side by side: enable leader election or set replicaCount: 1" (int .Values.replicaCount)) -}}
{{- end -}}
{{- range $key, $value := .Values.runner.podAnnotations -}}
{{- if hasPrefix "lockstep.dev/" $key -}}
{{- fail (printf "runner.podAnnotations %s: keys under lockstep.dev/ are the operator's own; use another prefix" $key) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.runner.serviceAccount.create .Values.runner.serviceAccount.name (not (include "lockstep.runnerNamespaces" . | fromJsonArray)) -}}
{{- fail (printf "runner.serviceAccount.name %s with create: true and watch.mode all needs runner.serviceAccount.namespaces to make it in (else no namespace has it): list them, or set create: false if it exists in every namespace" .Values.runner.serviceAccount.name) -}}
{{- end -}}
{{- if and .Values.podDisruptionBudget.enabled (lt (int .Values.replicaCount) 2) -}}
{{- fail "podDisruptionBudget.enabled with replicaCount 1 would block every node drain: set replicaCount: 2 or podDisruptionBudget.enabled: false" -}}
{{- end -}}
{{- end -}}
