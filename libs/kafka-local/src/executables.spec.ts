import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JavaNotFoundError, MavenNotFoundError } from './errors';
import { findOnPath, resolveJava, resolveMaven } from './executables';

describe('finding java and mvn', () => {
  let dir: string;
  let emptyDir: string;
  let fakeJavaHome: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-local-exec-'));
    emptyDir = path.join(dir, 'empty');
    mkdirSync(emptyDir);
    fakeJavaHome = path.join(dir, 'jdk');
    mkdirSync(path.join(fakeJavaHome, 'bin'), { recursive: true });
    writeFileSync(path.join(fakeJavaHome, 'bin', 'java'), '#!/bin/sh\n');
    chmodSync(path.join(fakeJavaHome, 'bin', 'java'), 0o755);
    writeFileSync(path.join(emptyDir, 'java.txt'), 'not a program');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers JAVA_HOME/bin/java', () => {
    expect(resolveJava({ JAVA_HOME: fakeJavaHome, PATH: '/usr/bin' })).toBe(path.join(fakeJavaHome, 'bin', 'java'));
  });

  it('finds java on PATH without JAVA_HOME', () => {
    expect(resolveJava({ PATH: `${emptyDir}${path.delimiter}${path.join(fakeJavaHome, 'bin')}` })).toBe(
      path.join(fakeJavaHome, 'bin', 'java'),
    );
  });

  it('fails with JAVA_NOT_FOUND when JAVA_HOME points to a folder without java', () => {
    const attempt = (): string => resolveJava({ JAVA_HOME: emptyDir, PATH: process.env['PATH'] });
    expect(attempt).toThrow(JavaNotFoundError);
    expect(attempt).toThrow(/JAVA_HOME is set to .*empty/);
    try {
      attempt();
    } catch (error) {
      expect((error as JavaNotFoundError).code).toBe('JAVA_NOT_FOUND');
    }
  });

  it('fails with JAVA_NOT_FOUND when PATH has no java', () => {
    expect(() => resolveJava({ PATH: emptyDir })).toThrow(/no `java` on PATH/);
    expect(() => resolveJava({})).toThrow(JavaNotFoundError);
  });

  it('fails with MAVEN_NOT_FOUND when PATH has no mvn', () => {
    expect(() => resolveMaven({ PATH: emptyDir })).toThrow(MavenNotFoundError);
  });

  it('skips non-executable files and empty PATH entries', () => {
    expect(findOnPath('java.txt', `${path.delimiter}${emptyDir}`)).toBeUndefined();
    expect(findOnPath('java', undefined)).toBeUndefined();
  });
});
