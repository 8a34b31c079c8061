// Which agents a runtime serves: all of them (the bot), all but those another process serves alone
// (a console on its own chat), or one agent only (that console). Recovery, timers and counts
// look only at the agents in scope, so two processes on one database never take over each other's work.

export interface AgentScope {
  /** Serve this agent only. */
  only?: string;
  /** Serve every agent but these. */
  except?: ReadonlySet<string>;
}

export function inScope(scope: AgentScope, agentKey: string): boolean {
  if (scope.only !== undefined) return agentKey === scope.only;
  return !scope.except?.has(agentKey);
}
