// SCRAM-SHA-256 against the worked example of RFC 7677 section 3, and SASL name escaping (RFC 5802 section 5.1).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { authMessage, clientProof, credentialFromSaltedPassword, escapeSaslName, saltedPassword, serverSignature, unescapeSaslName, verifyClientProof } from './scram.ts';

it('reproduces the RFC 7677 SCRAM-SHA-256 exchange: client proof, server verification and server signature', () => {
  const clientFirstBare = 'n=user,r=rOprNGfwEbeRWgbNEkqO';
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
  const withoutProof = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const salted = saltedPassword('SCRAM-SHA-256', 'pencil', salt, 4096);
  const message = authMessage(clientFirstBare, serverFirst, withoutProof);
  const proof = clientProof('SCRAM-SHA-256', salted, message);
  assert.equal(proof.toString('base64'), 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
  const credential = credentialFromSaltedPassword('SCRAM-SHA-256', salted, salt, 4096);
  assert.equal(verifyClientProof('SCRAM-SHA-256', credential, message, proof), true);
  const wrong = Buffer.from(proof);
  wrong[0] ^= 1;
  assert.equal(verifyClientProof('SCRAM-SHA-256', credential, message, wrong), false);
  assert.equal(serverSignature('SCRAM-SHA-256', credential.serverKey, message).toString('base64'), '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
});

it('escapes = and , in SASL names and refuses a bad escape', () => {
  assert.equal(escapeSaslName('a=b,c'), 'a=3Db=2Cc');
  assert.equal(unescapeSaslName('a=3Db=2Cc'), 'a=b,c');
  assert.equal(unescapeSaslName('a=4Fb'), null);
});
