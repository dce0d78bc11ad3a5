/**
 * Which language a prompt is in, judged by the whole text: the script most of its letters are written in, and for
 * Latin script the language whose common words it uses most. One em-dash or accented name in an English prompt
 * leaves it English. The stand-in answers in that language (see reply.ts).
 */

export type Language = "en" | "ja" | "zh" | "ko" | "ru" | "es" | "fr" | "de";

const SCRIPTS: [RegExp, Language][] = [
  [/[\u3040-\u30ff]/u, "ja"], // kana: Japanese even when most letters are kanji
  [/\p{Script=Hangul}/u, "ko"],
  [/\p{Script=Han}/u, "zh"],
  [/\p{Script=Cyrillic}/u, "ru"],
];

/** Frequent short words of each Latin-script language (English wins ties: it is the default). */
const COMMON_WORDS: Record<"en" | "es" | "fr" | "de", string[]> = {
  en: ["the", "and", "is", "are", "to", "of", "what", "how", "please", "you", "me", "hello", "say", "tell", "a", "in", "it"],
  es: ["el", "la", "los", "las", "es", "que", "de", "por", "favor", "hola", "cómo", "qué", "y", "un", "una", "dime"],
  fr: ["le", "la", "les", "est", "que", "de", "et", "un", "une", "bonjour", "comment", "quoi", "vous", "je", "dis", "moi"],
  de: ["der", "die", "das", "ist", "und", "nicht", "ein", "eine", "wie", "was", "bitte", "hallo", "ich", "du", "sag", "mir"],
};

/** A prompt's language is judged from its start: a 5 MB prompt would otherwise cost the stand-in seconds per request. */
const SAMPLE_CHARS = 20_000;

export function detectLanguage(whole: string): Language {
  const text = whole.length > SAMPLE_CHARS ? whole.slice(0, SAMPLE_CHARS) : whole;
  const letters = Array.from(text.matchAll(/\p{L}/gu), (match) => match[0]);
  if (letters.length === 0) return "en";
  const nonLatin = new Map<Language, number>();
  let latin = 0;
  for (const letter of letters) {
    if (/\p{Script=Latin}/u.test(letter)) {
      latin += 1;
      continue;
    }
    const language = SCRIPTS.find(([script]) => script.test(letter))?.[1];
    if (language) nonLatin.set(language, (nonLatin.get(language) ?? 0) + 1);
  }
  // Japanese mixes kana with kanji (Han): any kana among Han letters makes the Han ones Japanese too.
  if (nonLatin.has("ja") && nonLatin.has("zh")) {
    nonLatin.set("ja", nonLatin.get("ja")! + nonLatin.get("zh")!);
    nonLatin.delete("zh");
  }
  const [top, count] = [...nonLatin].sort((a, b) => b[1] - a[1])[0] ?? ["en", 0];
  // CJK letters carry a word each where Latin needs five or so: weigh them up before comparing.
  const weight = top === "ru" ? 1 : 4;
  if (count * weight > latin) return top;
  return latinLanguage(text);
}

function latinLanguage(text: string): Language {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  let best: keyof typeof COMMON_WORDS = "en";
  let bestScore = 0;
  for (const [language, common] of Object.entries(COMMON_WORDS) as [keyof typeof COMMON_WORDS, string[]][]) {
    const score = words.filter((word) => common.includes(word)).length;
    if (score > bestScore) [best, bestScore] = [language, score];
  }
  return best;
}

/** The stand-in's phrases in each language: the plain reply, and the answer after a tool result. */
export const PHRASES: Record<Language, { reply: string; toolResult: (tool: string, result: string) => string }> = {
  en: {
    reply:
      "Hello! This reply comes from the local Bedrock stand-in, not from a real model. " +
      "It streams over the same ConverseStream wire protocol that Amazon Bedrock uses, one small piece at a time, " +
      "so you can watch each JSON line arrive as soon as it is produced. " +
      "Every request gets the same kind of answer, with realistic pauses between tokens. " +
      "When you deploy the stack, the same service talks to the real model instead.",
    toolResult: (tool, result) => `The ${tool} tool returned: ${result}. That is the result you asked for.`,
  },
  ja: {
    reply:
      "こんにちは！これは本物のモデルではなく、ローカルのBedrock互換サーバーからの返信です。" +
      "Amazon Bedrockと同じConverseStreamのプロトコルで、少しずつストリーミングしています。" +
      "各行がJSONとして届く様子をご覧ください。🙂 デプロイすると、同じサービスが本物のモデルに接続します。",
    toolResult: (tool, result) => `ツール ${tool} の結果は「${result}」です。これがお求めの結果です。`,
  },
  zh: {
    reply: "你好！这条回复来自本地的 Bedrock 替身，而不是真正的模型。它使用与 Amazon Bedrock 相同的协议逐段流式传输。部署后，同一服务会连接真正的模型。",
    toolResult: (tool, result) => `工具 ${tool} 返回了：${result}。这就是你要的结果。`,
  },
  ko: {
    reply: "안녕하세요! 이 답변은 실제 모델이 아니라 로컬 Bedrock 대역에서 온 것입니다. Amazon Bedrock과 같은 프로토콜로 조금씩 스트리밍합니다. 배포하면 같은 서비스가 실제 모델과 연결됩니다.",
    toolResult: (tool, result) => `${tool} 도구의 결과: ${result}. 요청하신 결과입니다.`,
  },
  ru: {
    reply: "Здравствуйте! Этот ответ пришёл от локальной замены Bedrock, а не от настоящей модели. Он передаётся по тому же протоколу, что и Amazon Bedrock, по частям. После развёртывания тот же сервис будет говорить с настоящей моделью.",
    toolResult: (tool, result) => `Инструмент ${tool} вернул: ${result}. Это и есть нужный вам результат.`,
  },
  es: {
    reply: "¡Hola! Esta respuesta viene del sustituto local de Bedrock, no de un modelo real. Llega por el mismo protocolo que usa Amazon Bedrock, pieza a pieza. Al desplegar la pila, el mismo servicio habla con el modelo real.",
    toolResult: (tool, result) => `La herramienta ${tool} devolvió: ${result}. Ese es el resultado que pediste.`,
  },
  fr: {
    reply: "Bonjour ! Cette réponse vient du substitut local de Bedrock, pas d'un vrai modèle. Elle arrive par le même protocole qu'Amazon Bedrock, morceau par morceau. Une fois la pile déployée, le même service parle au vrai modèle.",
    toolResult: (tool, result) => `L'outil ${tool} a renvoyé : ${result}. C'est le résultat demandé.`,
  },
  de: {
    reply: "Hallo! Diese Antwort kommt vom lokalen Bedrock-Ersatz, nicht von einem echten Modell. Sie kommt über dasselbe Protokoll wie bei Amazon Bedrock, Stück für Stück. Nach dem Deployment spricht derselbe Dienst mit dem echten Modell.",
    toolResult: (tool, result) => `Das Werkzeug ${tool} lieferte: ${result}. Das ist das gewünschte Ergebnis.`,
  },
};
