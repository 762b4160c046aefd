{{/* Names and labels */}}
{{- define "sbc.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sbc.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "sbc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sbc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sbc.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "sbc.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "sbc.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "sbc.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sbc.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret the pods read: existingSecret, or the one this chart renders */}}
{{- define "sbc.secretName" -}}
{{- default (printf "%s-secrets" (include "sbc.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{/* Admin tokens mounted: from admin.tokens (chart Secret) or from existingSecret (key admin-tokens) */}}
{{- define "sbc.adminTokens" -}}
{{- if or .Values.existingSecret .Values.admin.tokens -}}true{{- end -}}
{{- end -}}

{{- define "sbc.redisUrl" -}}
{{- if .Values.demo.redis.enabled -}}
{{- printf "redis://%s-redis:6379" (include "sbc.fullname" .) -}}
{{- else -}}
{{- .Values.redis.url -}}
{{- end -}}
{{- end -}}

{{/*
The node's state.redis section (no secrets: passwords come from the Secret as
SBC_* variables), as JSON: mode single names one URL (or the demo Redis),
cluster its startup nodes, sentinel the sentinels and the master group.
*/}}
{{- define "sbc.redisState" -}}
{{- $r := .Values.redis -}}
{{- if and .Values.demo.redis.enabled (ne $r.mode "single") -}}
{{- fail (printf "demo.redis.enabled runs a single Redis: it cannot be used with redis.mode %s" $r.mode) -}}
{{- end -}}
{{- if eq $r.mode "cluster" -}}
{{- if not $r.clusterNodes -}}{{- fail "redis.mode cluster needs redis.clusterNodes (startup nodes, redis://host:port)" -}}{{- end -}}
{{- dict "mode" "cluster" "nodes" $r.clusterNodes | toJson -}}
{{- else if eq $r.mode "sentinel" -}}
{{- if not $r.sentinel.nodes -}}{{- fail "redis.mode sentinel needs redis.sentinel.nodes (the sentinels, redis://host:26379)" -}}{{- end -}}
{{- dict "mode" "sentinel" "nodes" $r.sentinel.nodes "sentinel_name" $r.sentinel.masterName | toJson -}}
{{- else -}}
{{- dict "mode" "single" "url" (include "sbc.redisUrl" .) | toJson -}}
{{- end -}}
{{- end -}}

{{- define "sbc.natsServers" -}}
{{- if .Values.demo.nats.enabled -}}
{{- list (printf "nats://%s-nats:4222" (include "sbc.fullname" .)) | toJson -}}
{{- else -}}
{{- .Values.nats.servers | toJson -}}
{{- end -}}
{{- end -}}

{{/* Advertised SIP port: sip.advertise.port, else the Service port (loadBalancer) or sip.port (hostNetwork) */}}
{{- define "sbc.advertisePort" -}}
{{- if .Values.sip.advertise.port -}}
{{- .Values.sip.advertise.port -}}
{{- else if eq .Values.mode "loadBalancer" -}}
{{- .Values.service.port -}}
{{- else -}}
{{- .Values.sip.port -}}
{{- end -}}
{{- end -}}

{{/*
The node's sbc.yaml: what the chart wires (listeners, backends, files) with
.Values.config merged over it. In hostNetwork mode sip.listen comes from the
pod's SBC_SIP_LISTEN (the node's own address, downward API) instead.
*/}}
{{- define "sbc.nodeConfig" -}}
{{- $listen := list -}}
{{- if eq .Values.mode "loadBalancer" -}}
{{- $adv := required "sip.advertise.host is required in loadBalancer mode: the load balancer's address (Record-Route must carry an address clients reach, never a pod IP)" .Values.sip.advertise.host -}}
{{- range .Values.sip.transports -}}
{{- $listen = append $listen (printf "%s:0.0.0.0:%d advertise %s:%s" . (int $.Values.sip.port) $adv (include "sbc.advertisePort" $)) -}}
{{- end -}}
{{- end -}}
{{- $admin := dict "host" "0.0.0.0" "port" .Values.admin.port -}}
{{- if include "sbc.adminTokens" . -}}
{{- $_ := set $admin "tokens_file" "/etc/sbc/secrets/admin-tokens" -}}
{{- end -}}
{{- $base := dict
  "node" (dict "cluster" .Values.cluster "drain_timeout" (printf "%ss" (toString .Values.drainSeconds)))
  "http" (dict "host" "0.0.0.0" "port" .Values.http.port)
  "admin" $admin
  "state" (dict "backend" "redis" "redis" (include "sbc.redisState" . | fromJson))
  "bus" (dict "servers" (include "sbc.natsServers" . | fromJsonArray))
  "dispatcher" (dict "list_file" "/etc/sbc/dispatcher/dispatcher.list")
-}}
{{- if $listen -}}
{{- $_ := set $base "sip" (dict "listen" $listen) -}}
{{- end -}}
{{- toYaml (mustMergeOverwrite $base (deepCopy .Values.config)) -}}
{{- end -}}
